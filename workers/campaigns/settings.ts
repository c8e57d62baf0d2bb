import { z } from "zod";
import { QUIET_HOURS } from "../contact/policy";
import { validateTemplate } from "./message-template";

/**
 * What a person decides about a campaign (its `data`): who it reaches, what
 * it says, when and how fast. What the campaign is doing — launched, paused,
 * why — is Apex's own state, in `system.run` (./campaigns.ts).
 */
const hour = z.number().int().min(QUIET_HOURS.end).max(QUIET_HOURS.start);

export const campaignSettings = z
  .object({
    channel: z.literal("sms").default("sms"),
    audience: z
      .object({
        /** Lead statuses that make someone a past customer. */
        statuses: z.array(z.string().min(1).max(50)).min(1).max(10).default(["won", "completed"]),
        /** Only customers whose last contact (job, text, call) is at least this old. */
        lastContactOlderThanMonths: z.number().int().min(0).max(120).default(6),
        /** Only these job types (as imported), compared without case; all when absent. */
        jobTypes: z.array(z.string().min(1).max(100)).max(50).optional(),
      })
      .strict()
      .default({ statuses: ["won", "completed"], lastContactOlderThanMonths: 6 }),
    template: z
      .string()
      .min(1)
      .max(1_000)
      .superRefine((source, issues) => {
        for (const issue of validateTemplate(source)) issues.addIssue({ code: "custom", message: issue.message });
      }),
    offer: z.string().max(200).optional(),
    /** Local hours in the recipient's zone, [start, end); never wider than the quiet hours allow (08–21). */
    sendWindow: z
      .object({ start: hour, end: hour })
      .strict()
      .refine((w) => w.start < w.end, { message: "start must be before end", path: ["end"] })
      .default({ start: 9, end: 20 }),
    dailyLimit: z.number().int().min(1).max(50_000).default(500),
    /** Texts per second from the project's number (a US long code takes about 1). */
    pacePerSecond: z.number().min(0.1).max(100).default(1),
  })
  .strict();

export type CampaignSettings = z.output<typeof campaignSettings>;

export const campaignInput = z
  .object({
    projectId: z.uuid(),
    name: z.string().trim().min(1).max(200),
    settings: campaignSettings,
  })
  .strict();
export type CampaignInput = z.input<typeof campaignInput>;

export const CAMPAIGN_STATES = ["draft", "running", "paused", "cancelled", "completed"] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Apex's own record of a campaign's run, in `system.run`. */
export const campaignRun = z.looseObject({
  state: z.enum(CAMPAIGN_STATES),
  launchedAt: z.string().optional(),
  launchedBy: z.string().nullable().optional(),
  /** The number it sends from, fixed at launch. */
  from: z.string().optional(),
  /** The project's zone at launch: where a number that names no place is taken to be. */
  zone: z.string().optional(),
  /** Why it is paused: a person (`paused-by-user`) or Apex (`spend-cap`, `daily-limit`…). */
  pausedReason: z.string().optional(),
  pausedDetail: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type CampaignRun = z.infer<typeof campaignRun>;

export function runOf(system: Record<string, unknown>): CampaignRun {
  const parsed = campaignRun.safeParse(system.run);
  return parsed.success ? parsed.data : { state: "draft" };
}
