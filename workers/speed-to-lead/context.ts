import { withTenant } from "../../schema/tenant-transaction";
import { twilioConfigured } from "../integrations/twilio/client";
import { Problem, problems } from "../problems";
import { isOptedOut } from "../repositories/opt-outs";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { speedToLeadSettings } from "../services/dna";
import { publisherFor } from "../services/realtime";

/**
 * What every speed-to-lead step shares: who acts and the database
 * (`Pick<ServiceContext, "env" | "db" | "actor">`), the project's
 * speed-to-lead settings (DNA `modules.speedToLead`) and the opt-out ledger.
 */

/** Entity writes made here are always announced: with the caller's publisher, or the tenant's own. */
export const entityContext = ({
  env,
  db,
  actor,
  publish,
}: Pick<ServiceContext, "env" | "db" | "actor"> & Partial<Pick<ServiceContext, "publish">>) => ({
  db,
  actor,
  publish: publish ?? publisherFor(env, actor.auth.tenantId),
});

/** The project and its speed-to-lead settings, read from the merged DNA (modules.speedToLead). */
export async function projectVoice(projectId: string, { db, actor }: Pick<ServiceContext, "db" | "actor">) {
  const found = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const project = await findProject(tx, projectId);
    const settings = project ? await speedToLeadSettings(tx, projectId) : undefined;
    return project && settings ? { project, settings } : undefined;
  });
  if (!found) throw problems.notFound(`No project ${projectId}.`);
  return found;
}

export async function optedOut(phone: string, { db, actor }: Pick<ServiceContext, "db" | "actor">): Promise<boolean> {
  return withTenant(db, actor.auth.tenantId, (tx) => isOptedOut(tx, phone));
}

/** Public webhook URL: PUBLIC_BASE_URL, the address Twilio was given and signs. */
export function webhookUrl(env: Env, path: string, query: Record<string, string>): string {
  const url = new URL(`/webhooks/twilio/${path}`, env.PUBLIC_BASE_URL);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

export function requireTwilio(env: Env): void {
  if (!twilioConfigured(env)) {
    throw new Problem({
      status: 503,
      code: "twilio-not-configured",
      title: "Twilio is not configured",
      detail: "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or run npm run dev, which starts the simulator).",
    });
  }
}
