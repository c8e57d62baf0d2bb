import { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { openSecret, sealSecret, secretHint } from "../crypto/secret-box";
import { assertOutboundUrl } from "../outbound/url-policy";
import { Problem, problems, zodFieldErrors } from "../problems";
import { recordAudit } from "../repositories/audit";
import { projectExists } from "../repositories/entities";
import { findWordPressSite, putWordPressSite, setSearchConsole } from "../repositories/wordpress-sites";
import type { ServiceContext } from "../service-context";
import type { WordPressSite } from "./wordpress";

/**
 * A project's WordPress site: where pSEO publishes. The address is a
 * tenant-supplied URL, so the outbound-URL policy checks it when it is saved
 * (a 422 naming `url`) and again on every call (seo/wordpress.ts). The
 * Application Password is sealed with SECRETS_ENCRYPTION_KEY, bound to the
 * tenant and project, and never shown again: reads give its last four
 * characters.
 */
export const wordpressSiteInput = z
  .object({
    url: z.url().max(500),
    username: z.string().trim().min(1).max(100),
    applicationPassword: z.string().trim().min(8).max(200),
  })
  .strict();

export interface WordPressSiteView {
  url: string;
  username: string;
  applicationPasswordHint: string;
  /** The Search Console property the analytics stage reads, when connected. */
  searchConsole: { property: string; tokenHint: string } | null;
  updatedAt: string;
}

export const searchConsoleInput = z
  .object({
    /** A URL-prefix property ("https://example.com/") or a domain one ("sc-domain:example.com"). */
    property: z
      .string()
      .trim()
      .min(3)
      .max(300)
      .refine((p) => /^sc-domain:[a-z0-9.-]+$/i.test(p) || URL.canParse(p), "a URL-prefix property or sc-domain:…"),
    /** An OAuth access token with the webmasters.readonly scope. */
    accessToken: z.string().trim().min(8).max(4_000),
  })
  .strict();

const sealContext = (tenantId: string, projectId: string) => `wordpress-site:${tenantId}:${projectId}`;
const searchConsoleContext = (tenantId: string, projectId: string) => `search-console:${tenantId}:${projectId}`;

function requireSealingKey(env: Env): void {
  if (env.SECRETS_ENCRYPTION_KEY) return;
  throw new Problem({
    status: 503,
    code: "secret-storage-unavailable",
    title: "Service Unavailable",
    detail: "This deployment has no SECRETS_ENCRYPTION_KEY, so it cannot keep a WordPress Application Password.",
  });
}

export async function saveWordPressSite(
  projectId: string,
  input: unknown,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<WordPressSiteView> {
  const parsed = wordpressSiteInput.safeParse(input);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
  const { url, username, applicationPassword } = parsed.data;
  assertOutboundUrl(url, { appEnv: env.APP_ENV, field: "url" });
  requireSealingKey(env);
  const tenantId = actor.auth.tenantId;
  // WordPress shows Application Passwords in groups of four with spaces; either form works for Basic auth.
  const sealedPassword = await sealSecret(
    env.SECRETS_ENCRYPTION_KEY,
    applicationPassword,
    sealContext(tenantId, projectId),
  );
  return withTenant(db, tenantId, async (tx) => {
    if (!(await projectExists(tx, projectId))) throw problems.notFound(`No project ${projectId}.`);
    const before = await findWordPressSite(tx, projectId);
    const row = await putWordPressSite(tx, {
      tenantId,
      projectId,
      url: url.replace(/\/+$/, ""),
      username,
      sealedPassword,
      hint: secretHint(applicationPassword),
    });
    await recordAudit(tx, actor, {
      action: "wordpress_site.save",
      entityType: "project",
      entityId: projectId,
      before: before ? { url: before.url, username: before.username, hint: before.hint } : null,
      after: { url: row.url, username: row.username, hint: row.hint },
    });
    return viewOf(row);
  });
}

export async function getWordPressSite(
  projectId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<WordPressSiteView | null> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findWordPressSite(tx, projectId));
  return row ? viewOf(row) : null;
}

/** The site with its password, for the publisher only (server side; never in an answer). */
export async function openWordPressSite(
  projectId: string,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<WordPressSite | undefined> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findWordPressSite(tx, projectId));
  if (!row) return undefined;
  const applicationPassword = await openSecret(
    env.SECRETS_ENCRYPTION_KEY,
    row.sealedPassword,
    sealContext(actor.auth.tenantId, projectId),
  );
  return { url: row.url, username: row.username, applicationPassword };
}

const viewOf = (row: {
  url: string;
  username: string;
  hint: string;
  searchConsoleProperty: string | null;
  searchConsoleHint: string | null;
  updatedAt: Date;
}): WordPressSiteView => ({
  url: row.url,
  username: row.username,
  applicationPasswordHint: row.hint,
  searchConsole: row.searchConsoleProperty
    ? { property: row.searchConsoleProperty, tokenHint: row.searchConsoleHint ?? "" }
    : null,
  updatedAt: row.updatedAt.toISOString(),
});

/** Connects the site's Search Console property (the analytics stage reads it); the WordPress site comes first. */
export async function saveSearchConsole(
  projectId: string,
  input: unknown,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<WordPressSiteView> {
  const parsed = searchConsoleInput.safeParse(input);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
  requireSealingKey(env);
  const tenantId = actor.auth.tenantId;
  const sealedToken = await sealSecret(
    env.SECRETS_ENCRYPTION_KEY,
    parsed.data.accessToken,
    searchConsoleContext(tenantId, projectId),
  );
  return withTenant(db, tenantId, async (tx) => {
    const row = await setSearchConsole(tx, projectId, {
      property: parsed.data.property,
      sealedToken,
      hint: secretHint(parsed.data.accessToken),
    });
    if (!row) {
      throw problems.validation([
        { field: "wordpress", message: "connect the WordPress site first (PUT …/wordpress)" },
      ]);
    }
    await recordAudit(tx, actor, {
      action: "search_console.save",
      entityType: "project",
      entityId: projectId,
      after: { property: parsed.data.property, hint: row.searchConsoleHint },
    });
    return viewOf(row);
  });
}

/** The property and its token, for the analytics stage only (never in an answer). */
export async function openSearchConsole(
  projectId: string,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ property: string; accessToken: string } | undefined> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findWordPressSite(tx, projectId));
  if (!row?.searchConsoleProperty || !row.searchConsoleSealedToken) return undefined;
  const accessToken = await openSecret(
    env.SECRETS_ENCRYPTION_KEY,
    row.searchConsoleSealedToken,
    searchConsoleContext(actor.auth.tenantId, projectId),
  );
  return { property: row.searchConsoleProperty, accessToken };
}
