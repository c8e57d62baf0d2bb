import { DEFAULT_TICKET_TTL_MS } from "../../durable-objects/capabilities/tickets";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex, timingSafeEqual } from "../auth/encoding";
import { webhookActor } from "../context";
import { Problem, problems } from "../problems";
import { taskParams } from "../queue/tasks";
import { projectForWebhook } from "../repositories/projects";
import { type AnonymousContext, contextFor, type ServiceContext } from "../service-context";
import { speedToLeadSettings } from "../services/dna";
import { createEntity, type Entity, getEntity, reviseEntity } from "../services/entities";
import { leadSystem } from "../services/entity-system";
import { expectedIntakeSecret } from "../services/intake-secrets";
import { projectArchived } from "../services/projects";
import type { SpeedToLeadSettings } from "../speed-to-lead/settings";
import type { IntakeConsent } from "./consent";
import { normalizeLead } from "./normalize";
import type { LeadSourceDefinition, NormalizedLead } from "./sources/source";

/**
 * Lead intake: a lead source posts, Apex verifies it, normalizes
 * the lead, deduplicates it, stores it and answers at once; the bridge call
 * is queued, never awaited.
 */
/** SHA-256 of a proof: compared instead of the proof itself, so every comparison has one length. */
async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Equal-time comparison: neither where a wrong proof differs nor how long the right one is can be timed. */
async function sameSecret(given: string | undefined, expected: string | undefined): Promise<boolean> {
  if (!given || !expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return timingSafeEqual(a, b);
}

function refuse(detail: string): Problem {
  return new Problem({ status: 401, code: "webhook-unverified", title: "Unverified webhook", detail });
}

/**
 * The source's proof against its sealed secret (services/intake-secrets.ts),
 * checked before the lead is read and before any of the project's budget is
 * spent: a caller without it must not be able to use up what real leads
 * need. A source with no secret takes no leads.
 */
async function verifyProof(source: LeadSourceDefinition, proof: string | undefined, expected: string | undefined) {
  if (!(await sameSecret(proof, expected))) throw refuse(source.refusal);
}

/**
 * Per project: bursts of 600 leads, 10 a second sustained — far above any real
 * form, well below a flood. Spent only by requests that proved themselves.
 */
const INTAKE_BUCKET = { capacity: 600, refillPerSecond: 10 };

/**
 * Per source IP, for requests that failed their proof (wrong token, unknown
 * project): 20, then one every 3 s. Kept in the IP's rate-limiter object (as
 * the guard's anonymous bucket is), so a flood of guesses spends its own
 * budget and never the project's. An IP that has used it up is refused before
 * any database work — also for a right proof, until it refills.
 */
const UNVERIFIED_BUCKET = { capacity: 20, refillPerSecond: 1 / 3 };
const UNVERIFIED_BUCKET_KEY = "intake-unverified";

interface IntakeResult {
  leadId: string;
  duplicate: boolean;
  /** The bridge ticket, when this intake started one. */
  ticketId?: string;
}

function rateLimited(detail: string, retryAfterSeconds: number): Problem {
  return new Problem({
    status: 429,
    code: "rate-limited",
    title: "Too many requests",
    detail,
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

/** A refusal of an unproven request, charged to its IP; past the IP's budget it becomes a 429. */
async function chargeUnverified(
  error: unknown,
  ipObject: ReturnType<Env["RATE_LIMITER"]["getByName"]>,
): Promise<unknown> {
  const unproven = error instanceof Problem && (error.status === 401 || error.status === 404);
  if (!unproven) return error;
  const decision = await ipObject.takeRateToken(UNVERIFIED_BUCKET_KEY, UNVERIFIED_BUCKET);
  if (decision.allowed) return error;
  return rateLimited(
    `Too many unverified intakes from this address; retry in ${decision.retryAfterSeconds} s.`,
    decision.retryAfterSeconds,
  );
}

interface IntakeRequest {
  /** The proof the source carried (its `proofFrom`), compared with the project's secret. */
  proof: string | undefined;
  idempotencyKey?: string | undefined;
}

/**
 * One intake. Exact copies of a request (same body, same proof) are answered
 * by the project's intake gate without touching Postgres: a burst of retries
 * from a form plugin costs one database path, not one each. The proof is part
 * of the key and only a verified intake is stored, so a copy without the right
 * proof learns nothing. A refusal is charged to the caller's IP.
 */
export async function takeLead(
  source: LeadSourceDefinition,
  projectId: string,
  body: unknown,
  request: IntakeRequest,
  context: AnonymousContext & { rawBody: string },
): Promise<IntakeResult> {
  const ipObject = context.env.RATE_LIMITER.getByName(context.ip ?? "unknown");
  const standing = await ipObject.peekRateToken(UNVERIFIED_BUCKET_KEY, UNVERIFIED_BUCKET);
  if (!standing.allowed) {
    throw rateLimited(
      `Too many unverified intakes from this address; retry in ${standing.retryAfterSeconds} s.`,
      standing.retryAfterSeconds,
    );
  }
  const gate = context.env.INTAKE_GATE.getByName(projectId);
  const rawKey = `raw:${source.id}:${await sha256Hex(
    JSON.stringify([request.proof ?? "", request.idempotencyKey ?? "", context.rawBody]),
  )}`;
  const begin = await gate.beginAction(rawKey, "intake", 86_400_000, 25_000);
  if (begin.outcome === "replay") {
    const first = JSON.parse(begin.response.body) as IntakeResult;
    return { leadId: first.leadId, duplicate: true };
  }
  if (begin.outcome !== "proceed") {
    throw problems.conflict("intake-in-flight", "The same lead is being taken in right now; retry in a moment.");
  }
  let result: IntakeResult;
  try {
    const verified = await verifyIntake(source, projectId, body, request.proof, context);
    result = await storeLead(verified, request.idempotencyKey, context);
  } catch (error) {
    await gate.releaseAction(rawKey, "intake");
    throw await chargeUnverified(error, ipObject);
  }
  await gate.completeAction(rawKey, "intake", { status: 200, headers: {}, body: JSON.stringify(result) });
  return result;
}

interface VerifiedIntake {
  source: LeadSourceDefinition;
  projectId: string;
  tenantId: string;
  settings: SpeedToLeadSettings;
  lead: NormalizedLead & { consent: IntakeConsent };
}

/** The project, its settings and the source's secret, the proof, the project's budget, then the lead itself — in that order. */
async function verifyIntake(
  source: LeadSourceDefinition,
  projectId: string,
  body: unknown,
  proof: string | undefined,
  context: AnonymousContext,
): Promise<VerifiedIntake> {
  const project = await projectForWebhook(context.db, projectId);
  if (!project) throw problems.notFound(`No project ${projectId}.`);
  const { settings, expected } = await withTenant(context.db, project.tenantId, async (tx) => ({
    settings: await speedToLeadSettings(tx, projectId),
    expected: await expectedIntakeSecret(tx, context.env, { tenantId: project.tenantId, projectId, source: source.id }),
  }));
  if (!settings) throw problems.notFound(`No project ${projectId}.`);
  await verifyProof(source, proof, expected);
  // After the proof: only the form's own owner learns that its project is archived.
  if (project.archivedAt) throw projectArchived(projectId);
  const limit = await context.env.TENANT.getByName(project.tenantId).takeRateToken(
    `intake:${projectId}`,
    INTAKE_BUCKET,
  );
  if (!limit.allowed) {
    throw rateLimited(
      `This project takes at most ${INTAKE_BUCKET.refillPerSecond} leads a second; retry in ${limit.retryAfterSeconds} s.`,
      limit.retryAfterSeconds,
    );
  }
  return { source, projectId, tenantId: project.tenantId, settings, lead: normalizeLead(source, body, settings) };
}

/**
 * A verified lead, deduplicated in the tenant object: its phone, email,
 * source id and Idempotency-Key are claimed together, so concurrent copies of
 * one lead wait for the first and join it — one lead, one bridge.
 */
async function storeLead(
  { source, projectId, tenantId, settings, lead }: VerifiedIntake,
  idempotencyKey: string | undefined,
  context: AnonymousContext,
): Promise<IntakeResult> {
  // The source proved itself for this tenant: it acts as a webhook of that tenant from here on.
  const actor = webhookActor(tenantId, `lead-source:${source.id}`, context.requestId, context.ip);
  const services = contextFor(actor, { env: context.env, db: () => context.db, log: context.log });
  const keys = [
    lead.phone && `intake:${projectId}:phone:${lead.phone}`,
    lead.email && `intake:${projectId}:email:${lead.email}`,
    lead.sourceLeadId && `intake:${projectId}:${source.id}:${lead.sourceLeadId}`,
    idempotencyKey && `intake:${projectId}:key:${idempotencyKey}`,
  ].filter((k): k is string => Boolean(k));
  const fingerprint = "lead-intake";
  const tenant = context.env.TENANT.getByName(tenantId);
  const claim = await tenant.beginMany(keys, fingerprint, settings.dedupWindowMinutes * 60_000, 10_000);
  if (claim.outcome === "in-flight" || claim.outcome === "mismatch") {
    throw problems.conflict("intake-in-flight", "The same lead is being taken in right now; retry in a moment.");
  }
  if (claim.outcome === "replay") {
    const { leadId } = JSON.parse(claim.response.body) as { leadId: string };
    await noteRepeatIntake(leadId, source.id, lead.consent, services);
    await repairFollowUps(leadId, projectId, tenantId, services);
    return { leadId, duplicate: true };
  }

  let created: Entity;
  try {
    created = await createEntity(
      {
        projectId,
        type: "lead",
        name: lead.name,
        status: "new",
        data: {
          ...(lead.phone ? { phone: lead.phone } : {}),
          ...(lead.email ? { email: lead.email } : {}),
          ...(lead.message ? { message: lead.message } : {}),
          source: source.id,
          ...(lead.sourceLeadId ? { sourceLeadId: lead.sourceLeadId } : {}),
          ...(Object.keys(lead.utm).length > 0 ? { utm: lead.utm } : {}),
          ...(lead.gclid ? { gclid: lead.gclid } : {}),
          ...(lead.isTest ? { test: true } : {}),
        },
        system: { intakes: 1, receivedAt: new Date().toISOString(), consent: lead.consent },
      },
      services,
    );
  } catch (error) {
    await tenant.releaseMany(keys, fingerprint);
    throw error;
  }
  await tenant.completeMany(keys, fingerprint, {
    status: 200,
    headers: {},
    body: JSON.stringify({ leadId: created.id }),
  });
  if (lead.isTest) return { leadId: created.id, duplicate: false };
  const ticketId = await startFollowUps(context.env, tenantId, created.id, projectId);
  return { leadId: created.id, duplicate: false, ticketId };
}

/**
 * The lead's bridge and scoring tickets, each at most once per lead (the
 * tenant object answers the ticket already made under the lead's key): the
 * first intake and any repair of it end in the same two tickets. Scoring runs
 * in parallel, never in the way of the call. Returns the bridge ticket's id.
 */
async function startFollowUps(env: Env, tenantId: string, leadId: string, projectId: string): Promise<string> {
  const tenant = env.TENANT.getByName(tenantId);
  const bridge = await tenant.createTicket(
    tenantId,
    "sales_agent",
    taskParams.sales_agent.parse({ leadId, projectId }),
    DEFAULT_TICKET_TTL_MS,
    `sales_agent:${leadId}`,
  );
  await tenant.createTicket(
    tenantId,
    "lead_scorer",
    taskParams.lead_scorer.parse({ leadId }),
    DEFAULT_TICKET_TTL_MS,
    `lead_scorer:${leadId}`,
  );
  return bridge.id;
}

/**
 * The repair of a half-written intake: the lead was stored and its dedupe keys
 * completed, but the Worker died before its tickets existed. A retried copy
 * joins the lead here; if the lead shows no bridge yet, its follow-ups are
 * started — at most once each, so a copy arriving while the first intake is
 * still running adds nothing.
 */
async function repairFollowUps(
  leadId: string,
  projectId: string,
  tenantId: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<void> {
  const stored = await getEntity(leadId, context).catch(() => undefined);
  if (!stored || stored.data.test === true || leadSystem(stored).bridge) return;
  await startFollowUps(context.env, tenantId, leadId, projectId);
}

/**
 * A repeat of a known lead is noted on it, and nothing else happens (no
 * second call). Best effort, one attempt: in a burst of copies most lose the
 * version race, and the count is a hint, not a ledger.
 */
async function noteRepeatIntake(
  leadId: string,
  source: string,
  consent: IntakeConsent,
  context: Parameters<typeof reviseEntity>[2],
): Promise<void> {
  await reviseEntity(
    leadId,
    (current) => ({
      system: {
        ...current.system,
        intakes: (leadSystem(current).intakes ?? 1) + 1,
        lastIntake: { source, at: new Date().toISOString() },
        // A later form that gave express consent upgrades an earlier inquiry; an inquiry never downgrades it.
        ...(consent.sms ? { consent } : {}),
      },
    }),
    context,
    1,
  ).catch(() => undefined);
}
