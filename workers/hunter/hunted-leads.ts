import { DEFAULT_TICKET_TTL_MS } from "../../durable-objects/capabilities/tickets";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex } from "../auth/encoding";
import { toE164 } from "../phone";
import { taskParams } from "../queue/tasks";
import { findHuntDuplicate } from "../repositories/hunted-leads";
import type { ServiceContext } from "../service-context";
import { createEntity } from "../services/entities";
import { objectKeys } from "../storage/object-keys";
import type { ExtractedPost } from "./post-rules";
import type { HunterPlatform } from "./settings";

/**
 * A hunted post becomes a lead at most once. Three checks, in order:
 * Postgres (a lead hunted before from the same canonical address, or any
 * lead with the same phone or email), then the tenant object's dedupe keys —
 * the very keys lead intake claims (`intake:{project}:phone:…`, `…:email:…`),
 * plus the post's address — so a post found twice in one run, by two runs at
 * once, or by a hunt and a form at the same moment, is one lead. The lead's
 * row is written under an idempotency key of its own, so a hunt that died
 * after the commit finds it on retry.
 *
 * What the hunter found is Apex's record (`system.hunt`): where, when, the
 * text it read and a screenshot in R2 whose key is derived from the tenant,
 * project and address, never from anything a tenant writes. A hunted lead is
 * not an inquiry: nothing here records a contact from the poster, so the
 * contact gate gives automation no basis to call or text them (the owner's
 * opt-in is the one exception, contact/policy.ts).
 */
export interface HuntedPost {
  platform: HunterPlatform;
  url: string;
  keyword: string;
  place: string | null;
  fetchedAt: string;
  sourceText: string;
  screenshot: Uint8Array | undefined;
  post: ExtractedPost;
  extractedBy: { provider: string; model: string };
  runId: string;
}

export type StoredOutcome = { outcome: "created"; leadId: string } | { outcome: "duplicate"; leadId: string };

const FINGERPRINT = "lead-intake";
const URL_KEY_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
const MAX_SOURCE_TEXT = 4_000;

export async function storeHuntedPost(
  projectId: string,
  found: HuntedPost,
  settings: { defaultCountry: string; dedupWindowMinutes: number },
  context: Pick<ServiceContext, "env" | "db" | "actor" | "publish" | "log">,
): Promise<StoredOutcome> {
  const { env, actor } = context;
  const tenantId = actor.auth.tenantId;
  const phone = toE164(found.post.contact.phone, settings.defaultCountry) ?? null;
  const email = found.post.contact.email?.trim().toLowerCase() || null;
  const earlier = await withTenant(context.db, tenantId, (tx) =>
    findHuntDuplicate(tx, projectId, { url: found.url, phone, email }),
  );
  if (earlier) {
    // A run that died between the lead's row and its scoring ticket: the ticket is made now (at most once, by its key).
    const hunted = (earlier.system as { hunt?: unknown; score?: unknown } | null) ?? {};
    if (hunted.hunt && !hunted.score && !earlier.deletedAt) {
      await env.TENANT.getByName(tenantId).settle(tenantId, { tickets: [scoringTicket(earlier.id)] });
    }
    return { outcome: "duplicate", leadId: earlier.id };
  }

  const urlDigest = await sha256Hex(found.url);
  const keys = [
    `hunt:${projectId}:url:${urlDigest}`,
    phone && `intake:${projectId}:phone:${phone}`,
    email && `intake:${projectId}:email:${email}`,
  ].filter((key): key is string => Boolean(key));
  const tenant = env.TENANT.getByName(tenantId);
  const retentionMs = Math.max(settings.dedupWindowMinutes * 60_000, 60_000);
  const claim = await tenant.beginMany(keys, FINGERPRINT, Math.min(retentionMs, URL_KEY_RETENTION_MS), 10_000);
  if (claim.outcome === "replay") {
    const { leadId } = JSON.parse(claim.response.body) as { leadId: string };
    return { outcome: "duplicate", leadId };
  }
  // Being stored right now by another writer (a second run, a form from the same phone): that one makes the lead.
  if (claim.outcome !== "proceed") return { outcome: "duplicate", leadId: "" };

  let leadId: string;
  try {
    let screenshot: { stored: boolean; bytes?: number } = { stored: false };
    if (found.screenshot) {
      await env.ARCHIVE.put(objectKeys.huntScreenshot(tenantId, projectId, urlDigest), found.screenshot, {
        httpMetadata: { contentType: "image/png" },
      });
      screenshot = { stored: true, bytes: found.screenshot.byteLength };
    }
    const lead = await createEntity(
      {
        projectId,
        type: "lead",
        name: found.post.title,
        status: "new",
        data: {
          ...(phone ? { phone } : {}),
          ...(email ? { email } : {}),
          message: found.post.description,
          source: `hunter:${found.platform}`,
        },
        system: {
          hunt: {
            platform: found.platform,
            url: found.url,
            keyword: found.keyword,
            place: found.place,
            fetchedAt: found.fetchedAt,
            postedAt: found.post.postedAt,
            urgency: found.post.urgency,
            // The number the poster published on the page: the only one the opt-in policy may ever call.
            ...(phone ? { publicPhone: phone } : {}),
            sourceText: found.sourceText.slice(0, MAX_SOURCE_TEXT),
            screenshot,
            extractedBy: found.extractedBy,
            runId: found.runId,
          },
        },
      },
      { ...context, idempotency: { key: `hunt:${projectId}:${urlDigest}`, fingerprint: "hunted-lead" } },
    );
    leadId = lead.id;
  } catch (error) {
    await tenant.releaseMany(keys, FINGERPRINT).catch(() => undefined);
    throw error;
  }
  await tenant.settle(tenantId, {
    complete: {
      keys,
      fingerprint: FINGERPRINT,
      response: { status: 200, headers: {}, body: JSON.stringify({ leadId }) },
    },
    // Scored on the queue like any lead; scoring decides about the owner's alert (never a call by default).
    tickets: [scoringTicket(leadId)],
  });
  return { outcome: "created", leadId };
}

const scoringTicket = (leadId: string) => ({
  task: "lead_scorer",
  params: taskParams.lead_scorer.parse({ leadId }),
  ttlMs: DEFAULT_TICKET_TTL_MS,
  onceKey: `lead_scorer:${leadId}`,
});
