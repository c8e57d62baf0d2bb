import { problems, zodFieldErrors } from "../problems";
import type { ServiceContext } from "../service-context";
import { getDna, updateDnaLayer } from "../services/dna";
import { type SpeedToLeadSettings, speedToLeadSettingsSchema } from "./settings";

/**
 * Speed-to-lead settings are the DNA's `modules.speedToLead`. These two
 * functions are a focused view onto it: reading gives the merged value, and
 * writing replaces that module in the custom layer (its version is the ETag).
 */

/** The merged settings; they hold no secrets (lead-source secrets are sealed apart, decision 017). */
export async function getSpeedToLeadSettings(projectId: string, context: Pick<ServiceContext, "db" | "actor">) {
  const { dna, versions } = await getDna(projectId, context);
  return { settings: dna.modules.speedToLead, version: versions.custom };
}

/** Replaces the settings whole, in the custom layer, if it is still at `expectedVersion`. */
export async function putSpeedToLeadSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency" | "env">>,
): Promise<{ settings: SpeedToLeadSettings; version: number }> {
  const parsed = speedToLeadSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw problems.validation(zodFieldErrors(parsed.error.issues));
  }
  const saved = await updateDnaLayer(
    projectId,
    "custom",
    (stored) => {
      const custom = (stored ?? {}) as { modules?: Record<string, unknown> };
      return { ...custom, modules: { ...custom.modules, speedToLead: input as Record<string, unknown> } };
    },
    expectedVersion,
    context,
  );
  return { settings: saved.dna.modules.speedToLead, version: saved.versions.custom };
}
