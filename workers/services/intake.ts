import { z } from "zod";
import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex, timingSafeEqual } from "../auth/encoding";
import { type RequestActor, webhookActor } from "../context";
import { type FieldError, Problem, problems } from "../problems";
import { projectForWebhook } from "../repositories/projects";
import { toE164 } from "../voice/phone";
import type { VoiceSettings } from "../voice/settings";
import { speedToLeadSettings } from "./dna";
import { createEntity, type Entity, reviseEntity } from "./entities";
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

function fromGoogle(body: unknown): { lead: NormalizedLead; key?: string | undefined } {
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
    key: parsed.data.google_key,
    lead: {
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
    },
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

const same = (a: string | undefined, b: string | undefined) =>
  Boolean(a && b) && timingSafeEqual(new TextEncoder().encode(a), new TextEncoder().encode(b));

function refuse(detail: string): Problem {
  return new Problem({ status: 401, code: "webhook-unverified", title: "Unverified webhook", detail });
}

/** Checks the source's proof, then normalizes; throws a problem naming the field on bad input. */
export function verifyAndNormalize(
  source: LeadSource,
  body: unknown,
  proof: { secret?: string | undefined; token?: string | undefined },
  settings: VoiceSettings,
): NormalizedLead {
  let lead: NormalizedLead;
  if (source === "google-ads") {
    const google = fromGoogle(body);
    if (!same(google.key, settings.intake.googleKey)) throw refuse("google_key does not match this project's key.");
    lead = google.lead;
  } else {
    const expected = source === "wordpress" ? settings.intake.wordpressSecret : settings.intake.formToken;
    const given = source === "wordpress" ? proof.secret : proof.token;
    if (!same(given, expected)) {
      throw refuse(
        source === "wordpress" ? "The WordPress secret is missing or wrong." : "The form token is missing or wrong.",
      );
    }
    lead = fromFields(flatFields(body));
  }
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

/** Per project: bursts of 600 leads, 10 a second sustained — far above any real form, well below a flood. */
const INTAKE_BUCKET = { capacity: 600, refillPerSecond: 10 };

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

/**
 * One intake, deduplicated in the tenant object: the lead's phone, email,
 * source id and Idempotency-Key are claimed together, so concurrent copies of
 * one lead wait for the first and join it — one lead, one bridge.
 */
export async function takeLead(
  source: LeadSource,
  projectId: string,
  body: unknown,
  proof: { secret?: string | undefined; token?: string | undefined; idempotencyKey?: string | undefined },
  context: IntakeContext & { rawBody: string },
): Promise<IntakeResult> {
  // Exact copies of a request (same body, same proof) are answered by the
  // project's intake gate without touching Postgres: a burst of retries from a
  // form plugin costs one database path, not one each. The proof is part of
  // the key, so a copy without the right token learns nothing.
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
    throw error;
  }
  await gate.completeAction(rawKey, "intake", { status: 200, headers: {}, body: JSON.stringify(result) });
  return result;
}

async function takeVerifiedLead(
  source: LeadSource,
  projectId: string,
  body: unknown,
  proof: { secret?: string | undefined; token?: string | undefined; idempotencyKey?: string | undefined },
  context: IntakeContext,
): Promise<IntakeResult> {
  const project = await projectForWebhook(context.db, projectId);
  if (!project) throw problems.notFound(`No project ${projectId}.`);
  const limit = await context.env.TENANT.getByName(project.tenantId).takeRateToken(
    `intake:${projectId}`,
    INTAKE_BUCKET,
  );
  if (!limit.allowed) {
    throw new Problem({
      status: 429,
      code: "rate-limited",
      title: "Too many requests",
      detail: `This project takes at most ${INTAKE_BUCKET.refillPerSecond} leads a second; retry in ${limit.retryAfterSeconds} s.`,
      headers: { "Retry-After": String(limit.retryAfterSeconds) },
    });
  }
  const settings = await withTenant(context.db, project.tenantId, (tx) => speedToLeadSettings(tx, projectId));
  if (!settings) throw problems.notFound(`No project ${projectId}.`);
  const lead = verifyAndNormalize(source, body, proof, settings);
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
          intakes: 1,
          receivedAt: new Date().toISOString(),
        },
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
      data: {
        ...current.data,
        intakes: Number(current.data.intakes ?? 1) + 1,
        lastIntake: { source, at: new Date().toISOString() },
      },
    }),
    context,
    1,
  ).catch(() => undefined);
}
