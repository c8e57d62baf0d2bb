import { withTenant } from "../../schema/tenant-transaction";
import { ROLE_RANK } from "../auth/roles";
import { type LeadSourceId, leadSource } from "../intake/sources";
import type { LeadSourceDefinition } from "../intake/sources/source";
import { takeLead } from "../intake/take-lead";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { expectedIntakeSecret } from "./intake-secrets";

/**
 * "Send test lead" (Settings → Lead sources): a lead posted the way the
 * source itself posts — its body format, its proof where the source carries
 * it — and handed to the intake (intake/take-lead.ts) as one from outside
 * is, so it is verified against the sealed secret, normalized, deduplicated
 * and bridged like a real one. The owner's phone rings: watching that is the
 * point of the button.
 *
 * A test is marked by what the lead page shows (its name and message) and by
 * its source lead id, `apex-test-…`. Not by Google's `is_test`: the intake
 * stores such a lead and starts nothing, so nothing would ring.
 */

/** What a source's own request would carry. */
interface SourceRequest {
  /** The body as the intake route would have parsed it. */
  body: Record<string, unknown>;
  rawBody: string;
  headers: Record<string, string>;
  query: Record<string, string>;
}

interface TestLead {
  /** The source's own id for the lead: marks it as a test in the stored data. */
  id: string;
  name: string;
  phone: string;
  email: string;
  message: string;
}

const formPost = (fields: Record<string, string>) => {
  const rawBody = new URLSearchParams(fields).toString();
  return { body: Object.fromEntries(new URLSearchParams(rawBody)), rawBody };
};
const jsonPost = (body: Record<string, unknown>) => ({ body, rawBody: JSON.stringify(body) });
const TEST_UTM = { utm_source: "apex", utm_medium: "test-lead" };

/**
 * Each source's request, as its real sender makes it. Keyed by every source
 * id, so a new source does not compile until it says how it is tested.
 */
const TEST_REQUESTS: Record<LeadSourceId, (secret: string, lead: TestLead) => SourceRequest> = {
  // The settings page's HTML snippet: a browser's form post, the token in the address.
  form: (secret, lead) => ({
    ...formPost({
      name: lead.name,
      phone: lead.phone,
      email: lead.email,
      message: lead.message,
      submission_id: lead.id,
      ...TEST_UTM,
    }),
    headers: {},
    query: { token: secret },
  }),
  // Contact Form 7's field names, as a webhook plugin sends them, the secret in its header.
  wordpress: (secret, lead) => ({
    ...jsonPost({
      "your-name": lead.name,
      "your-phone": lead.phone,
      "your-email": lead.email,
      "your-message": lead.message,
      entry_id: lead.id,
      ...TEST_UTM,
    }),
    headers: { "x-apex-secret": secret },
    query: {},
  }),
  // Google's lead form webhook JSON, its key inside the body.
  "google-ads": (secret, lead) => ({
    ...jsonPost({
      lead_id: lead.id,
      api_version: "1.0",
      form_id: 0,
      campaign_id: 0,
      google_key: secret,
      is_test: false,
      user_column_data: [
        { column_id: "FULL_NAME", column_name: "Full Name", string_value: lead.name },
        { column_id: "PHONE_NUMBER", column_name: "User Phone", string_value: lead.phone },
        { column_id: "EMAIL", column_name: "User Email", string_value: lead.email },
        { column_id: "NOTE", column_name: "Note", string_value: lead.message },
      ],
    }),
    headers: {},
    query: {},
  }),
};

/**
 * The test's customer, derived from the press (`attempt`), so a resubmitted
 * form is the same lead. The phone is in 555-0100…0199, numbers kept for
 * fiction: pressing 1 dials no one real. It varies per press, so a second
 * test soon after is a new lead (intake deduplicates by phone and email).
 */
function testLead(attempt: string): TestLead {
  const tag = attempt.replaceAll("-", "");
  const line = String(Number.parseInt(tag.slice(-4), 16) % 100).padStart(2, "0");
  return {
    id: `apex-test-${tag}`,
    name: "Test Lead",
    phone: `+121255501${line}`,
    email: `test-lead-${tag.slice(0, 12)}@example.com`,
    message: "A test from your Lead sources page: no customer is waiting.",
  };
}

/** Posting as a source means holding its secret, so the same role that manages secrets sends tests. */
function requireAdmin(context: Pick<ServiceContext, "actor">): void {
  if (ROLE_RANK[context.actor.auth.role] >= ROLE_RANK.admin) return;
  throw new Problem({
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail: "Test leads are sent by an admin or the owner.",
  });
}

export interface SentTestLead {
  leadId: string;
  /** The intake joined it to a lead it already had (the same press again). */
  duplicate: boolean;
}

/**
 * Sends one test lead through `sourceId`'s real intake path for the
 * project. `attempt` names the press: the same attempt again answers the
 * same lead. A source without a secret takes no leads, tests included.
 */
export async function sendTestLead(
  projectId: string,
  sourceId: string,
  attempt: string,
  context: Pick<ServiceContext, "env" | "db" | "actor" | "log">,
): Promise<SentTestLead> {
  requireAdmin(context);
  const source = leadSource(sourceId) as (LeadSourceDefinition & { id: LeadSourceId }) | undefined;
  if (!source) throw problems.notFound(`No lead source ${sourceId}.`);
  const { env, db, actor } = context;
  const tenantId = actor.auth.tenantId;
  const secret = await withTenant(db, tenantId, async (tx) => {
    if (!(await findProject(tx, projectId))) throw problems.notFound(`No project ${projectId}.`);
    return expectedIntakeSecret(tx, env, { tenantId, projectId, source: source.id });
  });
  if (!secret) {
    throw problems.conflict(
      "no-intake-secret",
      `The ${source.secretLabel} is not set, so this source takes no leads; create it first.`,
    );
  }
  const sent = TEST_REQUESTS[source.id](secret, testLead(attempt));
  const headers = new Headers(sent.headers);
  // The proof is read by the source's own rule, from where its real request carries it.
  const proof = source.proofFrom({
    body: sent.body,
    header: (name) => headers.get(name) ?? undefined,
    query: (name) => sent.query[name],
  });
  const taken = await takeLead(
    source,
    projectId,
    sent.body,
    { proof, idempotencyKey: `test-lead:${attempt}` },
    { env, db, log: context.log, requestId: actor.requestId, ip: actor.ip, rawBody: sent.rawBody },
  );
  // The lead is the source's act (its audit row names the source); pressing the button is the person's.
  await withTenant(db, tenantId, (tx) =>
    recordAudit(tx, actor, {
      action: "lead_source.test",
      entityType: "lead",
      entityId: taken.leadId,
      after: { source: source.id, projectId, duplicate: taken.duplicate },
    }),
  );
  return { leadId: taken.leadId, duplicate: taken.duplicate };
}
