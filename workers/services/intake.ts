import { z } from "zod";
import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex, timingSafeEqual } from "../auth/encoding";
import { type RequestActor, webhookActor } from "../context";
import { type FieldError, Problem, problems } from "../problems";
import { projectForWebhook } from "../repositories/projects";
import { findBadText } from "../text/unicode";
import { toE164 } from "../voice/phone";
import type { VoiceSettings } from "../voice/settings";
import { speedToLeadSettings } from "./dna";
import { createEntity, type Entity, reviseEntity } from "./entities";
import { leadSystem } from "./entity-system";
import { publisherFor } from "./realtime";

/**
 * Lead intake (SPEC §6 A): a lead source posts, Apex verifies it, normalizes
 * the lead, deduplicates it, stores it and answers at once; the bridge call
 * is queued, never awaited.
 */
export const LEAD_SOURCES = ["google-ads", "wordpress", "form"] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];

export interface NormalizedLead {
  name: string;
  phone?: string | undefined;
  email?: string | undefined;
  message?: string | undefined;
  /** The source's own id for this lead (Google's lead_id, a form plugin's entry id). */
  sourceLeadId?: string | undefined;
  utm: Record<string, string>;
  gclid?: string | undefined;
  isTest: boolean;
}

const googleLead = z.object({
  lead_id: z.string().min(1),
  google_key: z.string().optional(),
  is_test: z.boolean().optional(),
  gcl_id: z.string().optional(),
  campaign_id: z.union([z.number(), z.string()]).optional(),
  form_id: z.union([z.number(), z.string()]).optional(),
  user_column_data: z
    .array(
      z.object({
        column_id: z.string().optional(),
        column_name: z.string().optional(),
        string_value: z.string().optional(),
      }),
    )
    .default([]),
});

const UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

/** The first non-empty field among common names form plugins use. */
function pick(fields: Record<string, string>, names: string[]): string | undefined {
  for (const name of names) {
    const value = fields[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function fromGoogle(body: unknown): NormalizedLead {
  const parsed = googleLead.safeParse(body);
  if (!parsed.success) {
    throw problems.validation(
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message })),
    );
  }
  const columns = parsed.data.user_column_data;
  const value = (id: string) => columns.find((c) => c.column_id === id)?.string_value?.trim();
  const known = new Set(["FULL_NAME", "FIRST_NAME", "LAST_NAME", "PHONE_NUMBER", "EMAIL"]);
  const extra = columns
    .filter((c) => !known.has(c.column_id ?? "") && c.string_value)
    .map((c) => `${c.column_name ?? c.column_id}: ${c.string_value}`);
  const name = value("FULL_NAME") ?? [value("FIRST_NAME"), value("LAST_NAME")].filter(Boolean).join(" ");
  return {
    name: name || "Unknown",
    phone: value("PHONE_NUMBER"),
    email: value("EMAIL"),
    message: extra.length > 0 ? extra.join("\n") : undefined,
    sourceLeadId: parsed.data.lead_id,
    utm: {
      utm_source: "google",
      utm_medium: "cpc",
      ...(parsed.data.campaign_id ? { utm_campaign: String(parsed.data.campaign_id) } : {}),
    },
    gclid: parsed.data.gcl_id,
    isTest: parsed.data.is_test ?? false,
  };
}

/** WordPress form plugins and generic forms: flat fields, JSON or form-encoded. */
function fromFields(fields: Record<string, string>): NormalizedLead {
  const first = pick(fields, ["first_name", "firstname", "fname"]);
  const last = pick(fields, ["last_name", "lastname", "lname"]);
  return {
    name:
      pick(fields, ["name", "full_name", "your-name", "your_name", "fullname"]) ??
      ([first, last].filter(Boolean).join(" ") || "Unknown"),
    phone: pick(fields, ["phone", "tel", "telephone", "phone_number", "your-phone", "your_phone", "mobile"]),
    email: pick(fields, ["email", "your-email", "your_email", "email_address"]),
    message: pick(fields, ["message", "your-message", "your_message", "comments", "details", "description", "enquiry"]),
    sourceLeadId: pick(fields, ["entry_id", "lead_id", "submission_id"]),
    utm: Object.fromEntries(UTM_KEYS.flatMap((k) => (fields[k] ? [[k, fields[k] as string]] : []))),
    gclid: pick(fields, ["gclid"]),
    isTest: false,
  };
}

/** Flattens a JSON object or form body to string fields (nested `fields`/`data` objects are merged in). */
export function flatFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (value: unknown) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (typeof inner === "string" || typeof inner === "number" || typeof inner === "boolean")
        out[key.toLowerCase()] = String(inner);
      else if (inner && typeof inner === "object" && ["fields", "data", "form", "lead"].includes(key)) visit(inner);
    }
  };
  visit(body);
  return out;
}

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

export interface IntakeProof {
  secret?: string | undefined;
  token?: string | undefined;
}

/**
 * The source's proof, checked before the lead is read and before any of the
 * project's budget is spent: a caller without it must not be able to use up
 * what real leads need. Google sends its key inside the body, so only that
 * one field is read here; the rest waits for normalizeLead.
 */
async function verifyProof(
  source: LeadSource,
  body: unknown,
  proof: IntakeProof,
  settings: VoiceSettings,
): Promise<void> {
  if (source === "google-ads") {
    const key = body && typeof body === "object" ? (body as { google_key?: unknown }).google_key : undefined;
    if (!(await sameSecret(typeof key === "string" ? key : undefined, settings.intake.googleKey))) {
      throw refuse("google_key does not match this project's key.");
    }
    return;
  }
  const expected = source === "wordpress" ? settings.intake.wordpressSecret : settings.intake.formToken;
  const given = source === "wordpress" ? proof.secret : proof.token;
  if (!(await sameSecret(given, expected))) {
    throw refuse(
      source === "wordpress" ? "The WordPress secret is missing or wrong." : "The form token is missing or wrong.",
    );
  }
}

/** A verified source's body as a lead; throws a problem naming the field on bad input. */
export function normalizeLead(source: LeadSource, body: unknown, settings: VoiceSettings): NormalizedLead {
  const badText = findBadText(body);
  if (badText.length > 0) throw problems.validation(badText);
  const lead = source === "google-ads" ? fromGoogle(body) : fromFields(flatFields(body));
  const errors: FieldError[] = [];
  const phone = lead.phone ? toE164(lead.phone, settings.defaultCountry) : undefined;
  if (lead.phone && !phone) errors.push({ field: "phone", message: `${lead.phone} is not a phone number` });
  const email = lead.email?.toLowerCase();
  if (email && !z.email().safeParse(email).success)
    errors.push({ field: "email", message: `${lead.email} is not an email address` });
  if (!lead.phone && !lead.email) errors.push({ field: "phone", message: "a lead needs a phone or an email" });
  if (lead.name.length > 200) errors.push({ field: "name", message: "at most 200 characters" });
  if ((lead.message?.length ?? 0) > 5_000) errors.push({ field: "message", message: "at most 5000 characters" });
  if (errors.length > 0) throw problems.validation(errors);
  return { ...lead, phone, email };
}

/**
 * Per project: bursts of 600 leads, 10 a second sustained — far above any real
 * form, well below a flood. Spent only by requests that proved themselves.
 */
const INTAKE_BUCKET = { capacity: 600, refillPerSecond: 10 };

/**
 * Per source IP, for requests that failed their proof (wrong token, unknown
 * project): 20, then one every 3 s. Kept in the object named for the IP (as
 * the guard's anonymous bucket is), so a flood of guesses spends its own
 * budget and never the project's. An IP that has used it up is refused before
 * any database work — also for a right proof, until it refills.
 */
const UNVERIFIED_BUCKET = { capacity: 20, refillPerSecond: 1 / 3 };
const UNVERIFIED_BUCKET_KEY = "intake-unverified";

export interface IntakeResult {
  leadId: string;
  duplicate: boolean;
  /** The bridge ticket, when this intake started one. */
  ticketId?: string;
}

interface IntakeContext {
  env: Env;
  db: Database;
  requestId: string;
  ip: string | null;
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
async function chargeUnverified(error: unknown, ipObject: ReturnType<Env["TENANT"]["getByName"]>): Promise<unknown> {
  const unproven = error instanceof Problem && (error.status === 401 || error.status === 404);
  if (!unproven) return error;
  const decision = await ipObject.takeRateToken(UNVERIFIED_BUCKET_KEY, UNVERIFIED_BUCKET);
  if (decision.allowed) return error;
  return rateLimited(
    `Too many unverified intakes from this address; retry in ${decision.retryAfterSeconds} s.`,
    decision.retryAfterSeconds,
  );
}

/**
 * One intake, deduplicated in the tenant object: the lead's phone, email,
 * source id and Idempotency-Key are claimed together, so concurrent copies of
 * one lead wait for the first and join it — one lead, one bridge.
 */
export async function takeLead(
  source: LeadSource,
  projectId: string,
  body: unknown,
  proof: IntakeProof & { idempotencyKey?: string | undefined },
  context: IntakeContext & { rawBody: string },
): Promise<IntakeResult> {
  const ipObject = context.env.TENANT.getByName(`ip:${context.ip ?? "unknown"}`);
  const standing = await ipObject.peekRateToken(UNVERIFIED_BUCKET_KEY, UNVERIFIED_BUCKET);
  if (!standing.allowed) {
    throw rateLimited(
      `Too many unverified intakes from this address; retry in ${standing.retryAfterSeconds} s.`,
      standing.retryAfterSeconds,
    );
  }
  // Exact copies of a request (same body, same proof) are answered by the
  // project's intake gate without touching Postgres: a burst of retries from a
  // form plugin costs one database path, not one each. The proof is part of
  // the key and only a verified intake is stored, so a copy without the right
  // token learns nothing.
  const gate = context.env.TENANT.getByName(`intake:${projectId}`);
  const rawKey = `raw:${source}:${await sha256Hex(
    JSON.stringify([proof.secret ?? "", proof.token ?? "", proof.idempotencyKey ?? "", context.rawBody]),
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
    result = await takeVerifiedLead(source, projectId, body, proof, context);
  } catch (error) {
    await gate.releaseAction(rawKey, "intake");
    throw await chargeUnverified(error, ipObject);
  }
  await gate.completeAction(rawKey, "intake", { status: 200, headers: {}, body: JSON.stringify(result) });
  return result;
}

async function takeVerifiedLead(
  source: LeadSource,
  projectId: string,
  body: unknown,
  proof: IntakeProof & { idempotencyKey?: string | undefined },
  context: IntakeContext,
): Promise<IntakeResult> {
  const project = await projectForWebhook(context.db, projectId);
  if (!project) throw problems.notFound(`No project ${projectId}.`);
  const settings = await withTenant(context.db, project.tenantId, (tx) => speedToLeadSettings(tx, projectId));
  if (!settings) throw problems.notFound(`No project ${projectId}.`);
  await verifyProof(source, body, proof, settings);
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
  const lead = normalizeLead(source, body, settings);
  const actor: RequestActor = webhookActor(project.tenantId, `lead-source:${source}`, context.requestId, context.ip);
  const entityContext = { db: context.db, actor, publish: publisherFor(context.env, project.tenantId) };

  const keys = [
    lead.phone && `intake:${projectId}:phone:${lead.phone}`,
    lead.email && `intake:${projectId}:email:${lead.email}`,
    lead.sourceLeadId && `intake:${projectId}:${source}:${lead.sourceLeadId}`,
    proof.idempotencyKey && `intake:${projectId}:key:${proof.idempotencyKey}`,
  ].filter((k): k is string => Boolean(k));
  const fingerprint = "lead-intake";
  const tenant = context.env.TENANT.getByName(project.tenantId);
  const claim = await tenant.beginMany(keys, fingerprint, settings.dedupWindowMinutes * 60_000, 10_000);
  if (claim.outcome === "in-flight" || claim.outcome === "mismatch") {
    throw problems.conflict("intake-in-flight", "The same lead is being taken in right now; retry in a moment.");
  }
  if (claim.outcome === "replay") {
    const { leadId } = JSON.parse(claim.response.body) as { leadId: string };
    await noteRepeatIntake(leadId, source, entityContext);
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
          source,
          ...(lead.sourceLeadId ? { sourceLeadId: lead.sourceLeadId } : {}),
          ...(Object.keys(lead.utm).length > 0 ? { utm: lead.utm } : {}),
          ...(lead.gclid ? { gclid: lead.gclid } : {}),
          ...(lead.isTest ? { test: true } : {}),
        },
        system: { intakes: 1, receivedAt: new Date().toISOString() },
      },
      entityContext,
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
  const ticket = await tenant.createTicket(project.tenantId, "sales_agent", { leadId: created.id, projectId });
  // Scored in parallel, never in the way of the call; both paths share the one-bridge-per-lead key.
  await tenant.createTicket(project.tenantId, "lead_scorer", { leadId: created.id });
  return { leadId: created.id, duplicate: false, ticketId: ticket.id };
}

/**
 * A repeat of a known lead is noted on it, and nothing else happens (no
 * second call). Best effort, one attempt: in a burst of copies most lose the
 * version race, and the count is a hint, not a ledger.
 */
async function noteRepeatIntake(
  leadId: string,
  source: LeadSource,
  context: Parameters<typeof reviseEntity>[2],
): Promise<void> {
  await reviseEntity(
    leadId,
    (current) => ({
      system: {
        ...current.system,
        intakes: (leadSystem(current).intakes ?? 1) + 1,
        lastIntake: { source, at: new Date().toISOString() },
      },
    }),
    context,
    1,
  ).catch(() => undefined);
}
