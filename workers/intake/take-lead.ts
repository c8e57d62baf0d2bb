import { DEFAULT_TICKET_TTL_MS } from "../../durable-objects/capabilities/tickets";
import type { TicketRequest } from "../../durable-objects/tenant";
import { withSystemThenTenant } from "../../schema/tenant-transaction";
import { sha256Hex, timingSafeEqual } from "../auth/encoding";
import { webhookActor } from "../context";
import { Problem, problems } from "../problems";
import { taskParams } from "../queue/tasks";
import { projectOwner } from "../repositories/projects";
import { type AnonymousContext, contextFor, type ServiceContext } from "../service-context";
import { speedToLeadSettings } from "../services/dna";
import { createEntity, type Entity, getEntity, reviseEntity } from "../services/entities";
import { leadSystem } from "../services/entity-system";
import { expectedIntakeSecret } from "../services/intake-secrets";
import { projectArchived } from "../services/projects";
import { PendingEvents } from "../services/realtime";
import type { SpeedToLeadSettings } from "../speed-to-lead/settings";
import { noStageClock, type StageClock } from "../stage-clock";
import type { IntakeConsent } from "./consent";
import { normalizeLead } from "./normalize";
import type { LeadSourceDefinition, NormalizedLead } from "./sources/source";

/**
 * Lead intake: a lead source posts, Apex verifies it, normalizes the lead,
 * deduplicates it, stores it and answers at once; the bridge call starts from
 * this request as soon as the lead is stored (after the answer, never awaited
 * by it), with the queue as its retry path (decision 025).
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
 * Per project: bursts of 600 leads, 10 a second sustained (INTAKE_RATE_PER_SECOND
 * overrides; the benchmarks raise it) — far above any real
 * form, well below a flood. Spent only by requests that proved themselves.
 */
function intakeBucket(env: Env) {
  const perSecond = Number(env.INTAKE_RATE_PER_SECOND) || 10;
  return { capacity: perSecond * 60, refillPerSecond: perSecond };
}

/**
 * Per source IP, for requests that failed their proof (wrong token, unknown
 * project): 20, then one every 3 s. Kept in the IP's rate-limiter object (as
 * the guard's anonymous bucket is), so a flood of guesses spends its own
 * budget and never the project's. An IP that has used it up is refused before
 * any database work — also for a right proof, until it refills.
 */
const UNVERIFIED_BUCKET = { capacity: 20, refillPerSecond: 1 / 3 };
const UNVERIFIED_BUCKET_KEY = "intake-unverified";

/** A ticket the tenant object made already started, for its maker to run (decision 025). */
export interface StartedTicket {
  tenantId: string;
  ticketId: string;
  task: string;
  paramsJson: string;
}

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

/** What the route adds to the anonymous context: the body as sent, and the request's waitUntil. */
type IntakeContext = AnonymousContext & {
  rawBody: string;
  /**
   * Runs a ticket made started, after the answer (the route hands it to the
   * agent runner in the request's waitUntil); without it, the lead's bridge
   * goes through the queue.
   */
  runStarted?: (started: StartedTicket) => void;
  /** Times the stages before the answer (logged by the route as "intake stages"). */
  clock?: StageClock;
};

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
  context: IntakeContext,
): Promise<IntakeResult> {
  const clock = context.clock ?? noStageClock;
  const ipObject = context.env.RATE_LIMITER.getByName(context.ip ?? "unknown");
  const gate = context.env.INTAKE_GATE.getByName(projectId);
  const rawKey = `raw:${source.id}:${await sha256Hex(
    JSON.stringify([request.proof ?? "", request.idempotencyKey ?? "", context.rawBody]),
  )}`;
  // Two objects, one wait: the IP's standing and the exact-copy gate are asked together.
  const [standing, begin] = await Promise.all([
    ipObject.peekRateToken(UNVERIFIED_BUCKET_KEY, UNVERIFIED_BUCKET),
    gate.beginAction(rawKey, "intake", 86_400_000, 25_000),
  ]);
  clock.mark("exact-copy gate");
  if (!standing.allowed) {
    if (begin.outcome === "proceed") await gate.releaseAction(rawKey, "intake");
    throw rateLimited(
      `Too many unverified intakes from this address; retry in ${standing.retryAfterSeconds} s.`,
      standing.retryAfterSeconds,
    );
  }
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
    clock.mark("project and secret");
    result = await storeLead(verified, request.idempotencyKey, rawKey, context);
  } catch (error) {
    await gate.releaseAction(rawKey, "intake");
    throw await chargeUnverified(error, ipObject);
  }
  await gate.completeAction(rawKey, "intake", { status: 200, headers: {}, body: JSON.stringify(result) });
  clock.mark("exact-copy gate completed");
  return result;
}

interface VerifiedIntake {
  source: LeadSourceDefinition;
  projectId: string;
  tenantId: string;
  settings: SpeedToLeadSettings;
  lead: NormalizedLead & { consent: IntakeConsent };
}

/**
 * The project, its settings and the source's secret (one transaction: the
 * project's owner looked up, then the tenant's own rows under its row-level
 * security), the proof, then the lead itself — in that order. The project's
 * budget is spent in the tenant object's admission (storeLead).
 */
async function verifyIntake(
  source: LeadSourceDefinition,
  projectId: string,
  body: unknown,
  proof: string | undefined,
  context: AnonymousContext,
): Promise<VerifiedIntake> {
  const read = await withSystemThenTenant(
    context.db,
    (tx) => projectOwner(tx, projectId),
    async (tx, project) => ({
      settings: await speedToLeadSettings(tx, projectId),
      expected: await expectedIntakeSecret(tx, context.env, {
        tenantId: project.tenantId,
        projectId,
        source: source.id,
      }),
    }),
  );
  const settings = read?.result.settings;
  if (!read || !settings) throw problems.notFound(`No project ${projectId}.`);
  const project = read.found;
  await verifyProof(source, proof, read.result.expected);
  // After the proof: only the form's own owner learns that its project is archived.
  if (project.archivedAt) throw projectArchived(projectId);
  return { source, projectId, tenantId: project.tenantId, settings, lead: normalizeLead(source, body, settings) };
}

/**
 * A verified lead, deduplicated in the tenant object: the project's intake
 * budget and the lead's phone, email, source id and Idempotency-Key are taken
 * in one call, so concurrent copies of one lead wait for the first and join
 * it — one lead, one bridge. The lead's row commits in Postgres; then one more
 * call completes the keys, publishes the lead's events and makes its tickets,
 * the bridge's already started for this request to run (decision 025).
 */
async function storeLead(
  { source, projectId, tenantId, settings, lead }: VerifiedIntake,
  idempotencyKey: string | undefined,
  rawKey: string,
  context: IntakeContext,
): Promise<IntakeResult> {
  // The source proved itself for this tenant: it acts as a webhook of that tenant from here on.
  const actor = webhookActor(tenantId, `lead-source:${source.id}`, context.requestId, context.ip);
  const pending = new PendingEvents();
  const services = contextFor(actor, {
    env: context.env,
    db: () => context.db,
    log: context.log,
    publish: pending.publish,
    // The exact request is recorded with the lead in its transaction (decision 013): when the Worker dies
    // after the commit and before the tenant object hears of it, a retried copy joins this lead.
    idempotency: () => ({ key: rawKey, fingerprint: "lead-intake" }),
  });
  const keys = [
    lead.phone && `intake:${projectId}:phone:${lead.phone}`,
    lead.email && `intake:${projectId}:email:${lead.email}`,
    lead.sourceLeadId && `intake:${projectId}:${source.id}:${lead.sourceLeadId}`,
    idempotencyKey && `intake:${projectId}:key:${idempotencyKey}`,
  ].filter((k): k is string => Boolean(k));
  const fingerprint = "lead-intake";
  const tenant = context.env.TENANT.getByName(tenantId);
  const clock = context.clock ?? noStageClock;
  const admission = await tenant.admit({
    rate: { key: `intake:${projectId}`, policy: intakeBucket(context.env) },
    claim: { keys, fingerprint, retentionMs: settings.dedupWindowMinutes * 60_000, waitMs: 10_000 },
  });
  clock.mark("admit");
  if (admission.rate && !admission.rate.allowed) {
    throw rateLimited(
      `This project takes at most ${intakeBucket(context.env).refillPerSecond} leads a second; retry in ${admission.rate.retryAfterSeconds} s.`,
      admission.rate.retryAfterSeconds,
    );
  }
  const claim = admission.claim;
  if (!claim || claim.outcome === "in-flight" || claim.outcome === "mismatch") {
    throw problems.conflict("intake-in-flight", "The same lead is being taken in right now; retry in a moment.");
  }
  if (claim.outcome === "replay") {
    const { leadId } = JSON.parse(claim.response.body) as { leadId: string };
    await noteRepeatIntake(leadId, source.id, lead.consent, services);
    const events = pending.drain();
    if (events.length > 0) await tenant.publishMany(events);
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
  clock.mark("lead row");
  const runHere = context.runStarted;
  const settled = await tenant
    .settle(tenantId, {
      complete: {
        keys,
        fingerprint,
        response: { status: 200, headers: {}, body: JSON.stringify({ leadId: created.id }) },
      },
      events: pending.drain(),
      tickets: lead.isTest ? [] : followUpTickets(created.id, projectId, { startBridgeHere: Boolean(runHere) }),
    })
    .catch(async (error: unknown) => {
      // The lead is stored; its keys go back so a retried copy comes in now and joins it (see idempotency above).
      await tenant.releaseMany(keys, fingerprint).catch(() => undefined);
      throw error;
    });
  clock.mark("settle");
  const [bridge] = settled.tickets;
  if (!bridge) return { leadId: created.id, duplicate: false };
  if (runHere && bridge.paramsJson) {
    runHere({ tenantId, ticketId: bridge.ticket.id, task: bridge.ticket.task, paramsJson: bridge.paramsJson });
  }
  return { leadId: created.id, duplicate: false, ticketId: bridge.ticket.id };
}

/**
 * The lead's bridge and scoring tickets, each at most once per lead (the
 * tenant object answers the ticket already made under the lead's key): the
 * first intake and any repair of it end in the same two tickets. Scoring runs
 * on the queue, never in the way of the call. The bridge comes first.
 */
function followUpTickets(leadId: string, projectId: string, { startBridgeHere = false } = {}): TicketRequest[] {
  return [
    {
      task: "sales_agent",
      params: taskParams.sales_agent.parse({ leadId, projectId }),
      ttlMs: DEFAULT_TICKET_TTL_MS,
      onceKey: `sales_agent:${leadId}`,
      startHere: startBridgeHere,
    },
    {
      task: "lead_scorer",
      params: taskParams.lead_scorer.parse({ leadId }),
      ttlMs: DEFAULT_TICKET_TTL_MS,
      onceKey: `lead_scorer:${leadId}`,
    },
  ];
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
  await context.env.TENANT.getByName(tenantId).settle(tenantId, { tickets: followUpTickets(leadId, projectId) });
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
