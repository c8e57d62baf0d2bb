import { OpenAPIHono, z } from "@hono/zod-openapi";
import {
  campaignRecipients,
  cancelCampaign,
  createCampaign,
  getCampaign,
  launchCampaign,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
} from "../campaigns/campaigns";
import { CAMPAIGN_STATES, campaignInput, campaignSettings } from "../campaigns/settings";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { defineRoute, idempotencyKeyHeader, idParam, notFoundError, problem } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
/** Drafting and pausing: any member (stopping texts must never wait for an admin). */
const draft = { risk: "WRITE-LOW", role: "member" } satisfies RoutePolicy;
/** Launching, resuming and cancelling send (or stop) texts to customers on the business's behalf: an admin's act. */
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const counts = z.object({
  byStatus: z.record(z.string(), z.number().int()).openapi({
    description: "queued, sending, sent, delivered, undelivered, failed, refused, excluded, cancelled",
  }),
  byReason: z.record(z.string(), z.number().int()).openapi({ description: "Why excluded, refused or held" }),
  replied: z.number().int(),
  optedOut: z.number().int(),
  segments: z.number().int(),
  total: z.number().int(),
});

const campaignView = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    settings: campaignSettings.nullable(),
    settingsError: z.string().optional(),
    run: z.looseObject({
      state: z.enum(CAMPAIGN_STATES),
      launchedAt: z.string().optional(),
      pausedReason: z.string().optional(),
      pausedDetail: z.string().optional(),
      finishedAt: z.string().optional(),
    }),
    counts,
    spentUsd: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Campaign");

const included = z.object({
  leadId: z.uuid(),
  name: z.string(),
  phone: z.string(),
  body: z.string(),
  segments: z.number().int(),
  encoding: z.enum(["GSM-7", "UCS-2"]),
});
const excluded = z.object({
  leadId: z.uuid(),
  name: z.string(),
  phone: z.string(),
  reason: z.string(),
  detail: z.string(),
});

const preview = z
  .object({
    audience: z.number().int(),
    excluded: z.object({
      total: z.number().int(),
      byReason: z.record(z.string(), z.number().int()),
      sample: z.array(excluded),
    }),
    samples: z.array(included),
    segments: z.object({
      total: z.number().int(),
      gsm7Messages: z.number().int(),
      ucs2Messages: z.number().int(),
      largestMessage: z.number().int(),
    }),
    cost: z.object({
      estimatedUsd: z.number(),
      spentThisMonthUsd: z.number(),
      capUsd: z.number().nullable(),
      fitsUnderCap: z.boolean(),
    }),
    estimatedDays: z.number().int(),
  })
  .openapi("CampaignPreview");

const recipient = z.object({
  leadId: z.uuid(),
  phone: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  detail: z.string().nullable(),
  body: z.string().nullable(),
  segments: z.number().int().nullable(),
  errorCode: z.string().nullable(),
  messageSid: z.string().nullable().openapi({ description: "Twilio's MessageSid once sent" }),
  notBefore: z.string().nullable(),
  sentAt: z.string().nullable(),
  repliedAt: z.string().nullable(),
  optedOutAt: z.string().nullable(),
});

const answered = (description: string) => ({
  description,
  content: { "application/json": { schema: campaignView } },
});
const stateConflict = { 409: problem("The campaign is not in a state this action applies to") } as const;

const createRoute = defineRoute(draft, {
  method: "post",
  path: "/",
  tags: ["campaigns"],
  summary: "Draft a reactivation campaign: audience, template, send window, daily limit and pace",
  request: {
    headers: idempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: campaignInput } } },
  },
  responses: { 201: answered("The draft") },
});

const getRoute = defineRoute(read, {
  method: "get",
  path: "/{id}",
  tags: ["campaigns"],
  summary: "A campaign, its run and its live counters",
  request: { params: idParam },
  responses: { 200: answered("The campaign"), ...notFoundError },
});

const previewRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/preview",
  tags: ["campaigns"],
  summary: "Who the campaign would reach now, who not and why, sample texts, segments and the cost against the cap",
  request: { params: idParam },
  responses: {
    200: { description: "The preview", content: { "application/json": { schema: preview } } },
    ...notFoundError,
  },
});

const recipientsRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/recipients",
  tags: ["campaigns"],
  summary: "The campaign's recipients and those left out, with status and reason",
  request: {
    params: idParam,
    query: z.object({
      status: z.string().max(30).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.uuid().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of recipients",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(recipient), nextCursor: z.string().optional() }),
        },
      },
    },
    ...notFoundError,
  },
});

const action = <P extends typeof draft | typeof manage>(
  name: "launch" | "pause" | "resume" | "cancel",
  policy: P,
  summary: string,
) =>
  defineRoute(policy, {
    method: "post",
    path: `/{id}/${name}`,
    tags: ["campaigns"],
    summary,
    request: { params: idParam, headers: idempotencyKeyHeader },
    responses: { 200: answered("The campaign after the change"), ...notFoundError, ...stateConflict },
  });

const launchRoute = action(
  "launch",
  manage,
  "Launch a draft: its recipients are fixed (and those left out recorded with the reason), and sending starts",
);
const pauseRoute = action("pause", draft, "Pause a running campaign: no further text goes until it is resumed");
const resumeRoute = action("resume", manage, "Resume a paused campaign where it stopped");
const cancelRoute = action("cancel", manage, "Cancel a campaign: texts not yet sent never go");

export function campaignRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createRoute, async (c) => c.json(await createCampaign(c.req.valid("json"), c.get("services")), 201))
    .openapi(getRoute, async (c) => c.json(await getCampaign(c.req.valid("param").id, c.get("services")), 200))
    .openapi(previewRoute, async (c) => c.json(await previewCampaign(c.req.valid("param").id, c.get("services")), 200))
    .openapi(recipientsRoute, async (c) => {
      const query = c.req.valid("query");
      const page = await campaignRecipients(
        c.req.valid("param").id,
        { status: query.status, limit: query.limit, after: query.cursor },
        c.get("services"),
      );
      return c.json(page, 200);
    })
    .openapi(launchRoute, async (c) => c.json(await launchCampaign(c.req.valid("param").id, c.get("services")), 200))
    .openapi(pauseRoute, async (c) => c.json(await pauseCampaign(c.req.valid("param").id, c.get("services")), 200))
    .openapi(resumeRoute, async (c) => c.json(await resumeCampaign(c.req.valid("param").id, c.get("services")), 200))
    .openapi(cancelRoute, async (c) => c.json(await cancelCampaign(c.req.valid("param").id, c.get("services")), 200));
}
