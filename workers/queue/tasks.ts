import { z } from "zod";
import { urlProblemInEveryEnvironment } from "../outbound/url-policy";
import { RESOURCES } from "../usage/prices";

/**
 * Every task the AGENTS queue carries, and the params it takes. The one table
 * both sides read: `enqueue()` checks a message against it before sending
 * (and the compiler checks the call site), the agent that runs the task takes
 * its params from here, and the consumer parses them again on arrival.
 * Adding a task: a line here, an agent file, a line in agents/registry.ts.
 */
const id = z.uuid();

export const onboardingParams = z
  .object({
    projectId: id,
    businessName: z.string().min(1).max(200),
    // Refused at submission (422 naming params.websiteUrl) for everything but http and loopback, which only
    // the environment decides; the onboarding service applies the full rule when the task runs.
    websiteUrl: z
      .url()
      .superRefine((url, issues) => {
        const problem = urlProblemInEveryEnvironment(url, "websiteUrl");
        if (problem) issues.addIssue({ code: "custom", message: problem.message });
      })
      .optional(),
    answers: z.record(z.string().max(200), z.string().max(2_000)).default({}),
  })
  .strict();

const seoStageParams = z.object({ projectId: id, parentId: id.optional() }).strict();

export const taskParams = {
  health_check: z.object({}).strict(),
  entity_export: z.object({ type: z.string().max(50).optional() }).strict(),
  log_usage: z
    .object({
      projectId: id,
      resource: z.enum(RESOURCES),
      quantity: z.number().positive().max(1_000_000_000),
      reference: z.string().max(200).optional(),
      /** The same key twice records one use. */
      idempotencyKey: z.string().min(1).max(200).optional(),
    })
    .strict(),
  webhook_dispatch: z.object({
    eventId: z.string().min(1),
    type: z.string().min(1),
    occurredAt: z.string(),
    dataJson: z.string(),
  }),
  webhook_deliver: z.object({ deliveryId: id }),
  sales_agent: z
    .object({
      leadId: id,
      projectId: id,
      /** Set by a person's "call now": a new bridge even if the lead was called before. */
      attempt: z.string().max(100).optional(),
    })
    .strict(),
  bridge_missed: z.object({ callId: id, reason: z.string().max(100) }),
  inbound_missed: z.object({ callId: id }),
  store_call_recording: z.object({ callId: id }),
  transcribe_call: z.object({ callId: id }).strict(),
  analyze_call: z.object({ callId: id }).strict(),
  lead_scorer: z.object({ leadId: id }).strict(),
  spend_alert: z
    .object({
      projectId: id,
      month: z.string().regex(/^\d{4}-\d{2}$/),
      percent: z.union([z.literal(80), z.literal(100)]),
    })
    .strict(),
  onboarding: onboardingParams,
  reactivator_agent: z.object({ campaignId: id }).strict(),
  sniper_agent: z
    .object({
      projectId: id,
      /** Who asked: a person ("Hunt now", the API) or the project's schedule. */
      trigger: z.enum(["manual", "schedule"]).default("manual"),
    })
    .strict(),
  hunt_schedule: z.object({ projectId: id }).strict(),
  seo_pipeline: z.object({ projectId: id }).strict(),
  // A pSEO stage's ticket, retried: the pipeline runs again from that stage (workers/seo/pipeline.ts).
  scout_anchors: seoStageParams,
  strategist_run: seoStageParams,
  write_pages: seoStageParams,
  critic_review: seoStageParams,
  librarian_link: seoStageParams,
  enhance_media: seoStageParams,
  publish: seoStageParams,
  analytics_audit: seoStageParams,
  manager: z.object({ projectId: id, action: z.literal("dashboard_stats") }).strict(),
} as const;

export type TaskName = keyof typeof taskParams;
export type TaskParams<T extends TaskName> = z.input<(typeof taskParams)[T]>;

/**
 * Which queue each task rides (decision 023). `urgent`: someone is waiting —
 * the bridge, its follow-ups, text-backs, hot-lead and spend alerts, and
 * scoring (it starts the bridge of a hot lead). `bulk`: nobody is on the
 * phone for it; batched on its own queue so it never delays an urgent one.
 */
export type Lane = "urgent" | "bulk";

export const TASK_LANES: Record<TaskName, Lane> = {
  health_check: "urgent",
  sales_agent: "urgent",
  bridge_missed: "urgent",
  inbound_missed: "urgent",
  lead_scorer: "urgent",
  spend_alert: "urgent",
  entity_export: "bulk",
  log_usage: "bulk",
  webhook_dispatch: "bulk",
  webhook_deliver: "bulk",
  store_call_recording: "bulk",
  transcribe_call: "bulk",
  analyze_call: "bulk",
  onboarding: "bulk",
  reactivator_agent: "bulk",
  sniper_agent: "bulk",
  hunt_schedule: "bulk",
  seo_pipeline: "bulk",
  scout_anchors: "bulk",
  strategist_run: "bulk",
  write_pages: "bulk",
  critic_review: "bulk",
  librarian_link: "bulk",
  enhance_media: "bulk",
  publish: "bulk",
  analytics_audit: "bulk",
  manager: "bulk",
};

/** A task's lane; a name not in the table (an old message) rides the urgent lane, as all did before lanes. */
export const laneOf = (task: string): Lane => TASK_LANES[task as TaskName] ?? "urgent";
