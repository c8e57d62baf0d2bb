import { z } from "zod";
import type { Transaction } from "../../schema/tenant-transaction";
import { withTenant } from "../../schema/tenant-transaction";
import { randomToken } from "../auth/encoding";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor } from "../context";
import { openSecret, sealSecret, secretHint } from "../crypto/secret-box";
import { LEAD_SOURCES, type LeadSourceId, leadSource } from "../intake/sources";
import type { LeadSourceDefinition } from "../intake/sources/source";
import { Problem, problems, zodFieldErrors } from "../problems";
import { recordAudit } from "../repositories/audit";
import {
  deleteIntakeSecret,
  findIntakeSecret,
  type IntakeSecretRow,
  intakeSecretsOf,
  putIntakeSecret,
} from "../repositories/intake-secrets";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { earlierEffect, openedForReplay, recordEffect, sealedForReplay } from "./idempotent-effects";

/**
 * The shared secrets lead sources prove themselves with (decision 017): one
 * per project and source, sealed at rest, shown in full once — in the answer
 * that creates or rotates it — and as a hint (`…1234`) ever after. Audit rows
 * carry hints only; no event or webhook carries either. Admins and owners
 * manage them; the intake reads them (`expectedIntakeSecret`).
 */
export const rotateIntakeSecretInput = z
  .object({
    /**
     * The secret to use, when the owner already has one (a key they typed in
     * Google Ads); without it Apex generates a strong one.
     */
    value: z.string().optional(),
  })
  .strict();

export interface IntakeSecretView {
  source: LeadSourceId;
  /** What the owner calls it ("form token"). */
  label: string;
  /** The secret's last four characters; null when the source has none, so none of its posts is taken in. */
  hint: string | null;
  createdAt: string | null;
  rotatedAt: string | null;
}

/** A secret just created or rotated: the only answer that carries the secret itself. */
export type RevealedIntakeSecret = IntakeSecretView & { secret: string };

/** The lowest role that sees or changes a source's secret (even its hint). */
const MANAGER = "admin";

function requireManager(actor: RequestActor): void {
  if (ROLE_RANK[actor.auth.role] >= ROLE_RANK[MANAGER]) return;
  throw new Problem({
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail: `Lead sources' secrets are managed by an ${MANAGER} or the owner.`,
  });
}

function sourceOf(id: string): LeadSourceDefinition & { id: LeadSourceId } {
  const source = leadSource(id);
  if (!source) throw problems.notFound(`No lead source ${id}.`);
  return source as LeadSourceDefinition & { id: LeadSourceId };
}

/** Associated data: a sealed value opens only in its own tenant, project and source. */
const sealContext = (tenantId: string, projectId: string, source: string) =>
  `${tenantId}:${projectId}:intake-secret:${source}`;

function viewOf(source: LeadSourceDefinition, row: IntakeSecretRow | undefined): IntakeSecretView {
  return {
    source: source.id as LeadSourceId,
    label: source.secretLabel,
    hint: row?.hint ?? null,
    createdAt: row?.createdAt.toISOString() ?? null,
    rotatedAt: row?.rotatedAt.toISOString() ?? null,
  };
}

async function requireProject(tx: Transaction, projectId: string): Promise<void> {
  if (!(await findProject(tx, projectId))) throw problems.notFound(`No project ${projectId}.`);
}

/** Every lead source of the project, with its secret's hint or none. */
export async function listIntakeSecrets(
  projectId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<IntakeSecretView[]> {
  requireManager(actor);
  const rows = await withTenant(db, actor.auth.tenantId, async (tx) => {
    await requireProject(tx, projectId);
    return intakeSecretsOf(tx, projectId);
  });
  return LEAD_SOURCES.map((source) =>
    viewOf(
      source,
      rows.find((row) => row.source === source.id),
    ),
  );
}

/** The secret to use: the owner's (checked by the source's own rule), or a new random one. */
function chosenSecret(source: LeadSourceDefinition, value: string | undefined): string {
  if (value === undefined) return randomToken(32);
  const parsed = source.secretSchema.safeParse(value);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues, "value", "value"));
  return parsed.data;
}

function requireSealingKey(env: Pick<Env, "SECRETS_ENCRYPTION_KEY">): void {
  if (env.SECRETS_ENCRYPTION_KEY) return;
  throw new Problem({
    status: 503,
    code: "secret-storage-unavailable",
    title: "Service Unavailable",
    detail: "This deployment has no SECRETS_ENCRYPTION_KEY, so it cannot keep lead sources' secrets.",
  });
}

/**
 * Creates or rotates a source's secret; the previous one stops working at
 * once. The answer is the one place the secret appears. A retry with the same
 * Idempotency-Key answers the same secret (kept sealed with the effect, as an
 * API key is) instead of rotating again.
 */
export async function rotateIntakeSecret(
  projectId: string,
  sourceId: string,
  input: z.input<typeof rotateIntakeSecretInput>,
  { env, db, actor, idempotency }: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
): Promise<RevealedIntakeSecret> {
  requireManager(actor);
  const source = sourceOf(sourceId);
  const secret = chosenSecret(source, input.value);
  requireSealingKey(env);
  const tenantId = actor.auth.tenantId;
  const sealedValue = await sealSecret(env.SECRETS_ENCRYPTION_KEY, secret, sealContext(tenantId, projectId, source.id));
  return withTenant(db, tenantId, async (tx) => {
    const earlier = await earlierEffect<IntakeSecretView & { sealedSecret: string | null }>(tx, idempotency);
    if (earlier) {
      const { sealedSecret, ...view } = earlier;
      const what = `The ${source.secretLabel} of project ${projectId}`;
      return { ...view, secret: await openedForReplay(env, tenantId, sealedSecret, what) };
    }
    await requireProject(tx, projectId);
    const before = await findIntakeSecret(tx, projectId, source.id);
    const row = await putIntakeSecret(tx, {
      tenantId,
      projectId,
      source: source.id,
      sealedValue,
      hint: secretHint(secret),
    });
    const view = viewOf(source, row);
    // Hints only: the audit log is read by people who must never learn the secret from it.
    await recordAudit(tx, actor, {
      action: "intake_secret.rotate",
      entityType: "intake_secret",
      entityId: projectId,
      before: before ? viewOf(source, before) : null,
      after: { ...view, generated: input.value === undefined },
    });
    const sealedSecret = await sealedForReplay(env, tenantId, idempotency, secret);
    await recordEffect(tx, tenantId, idempotency, { ...view, sealedSecret });
    return { ...view, secret };
  });
}

/** Removes a source's secret: from now on none of its posts is taken in. */
export async function revokeIntakeSecret(
  projectId: string,
  sourceId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<void> {
  requireManager(actor);
  const source = sourceOf(sourceId);
  await withTenant(db, actor.auth.tenantId, async (tx) => {
    await requireProject(tx, projectId);
    const deleted = await deleteIntakeSecret(tx, projectId, source.id);
    if (!deleted) throw problems.notFound(`Project ${projectId} has no ${source.secretLabel}.`);
    await recordAudit(tx, actor, {
      action: "intake_secret.revoke",
      entityType: "intake_secret",
      entityId: projectId,
      before: viewOf(source, deleted),
    });
  });
}

/**
 * The secret a source's post must carry, opened for the intake's comparison
 * (workers/intake/take-lead.ts) inside the intake's tenant transaction;
 * undefined when the source has none. Never logged, never returned further.
 */
export async function expectedIntakeSecret(
  tx: Transaction,
  env: Pick<Env, "SECRETS_ENCRYPTION_KEY">,
  at: { tenantId: string; projectId: string; source: string },
): Promise<string | undefined> {
  const row = await findIntakeSecret(tx, at.projectId, at.source);
  if (!row) return undefined;
  return openSecret(env.SECRETS_ENCRYPTION_KEY, row.sealedValue, sealContext(at.tenantId, at.projectId, at.source));
}
