import { problems, zodFieldErrors } from "../problems";
import type { ServiceContext } from "../service-context";
import { getDna, updateDnaLayer, withoutSecretHints } from "../services/dna";
import { type SpeedToLeadSettings, speedToLeadSettingsSchema } from "./settings";

/**
 * Speed-to-lead settings are the DNA's `modules.speedToLead`. These two
 * functions are a focused view onto it: reading gives the merged value, and
 * writing replaces that module in the custom layer (its version is the ETag).
 */

/** As `actor` may see them: intake secrets are hinted below admin (services/dna.ts). */
export async function getSpeedToLeadSettings(projectId: string, context: Pick<ServiceContext, "db" | "actor">) {
  const { dna, versions } = await getDna(projectId, context);
  return { settings: dna.modules.speedToLead, version: versions.custom };
}

/**
 * Replaces the settings whole. An intake secret sent back as the hint it was
 * shown as keeps the stored secret (putDnaLayer), so a form that never held
 * the secret cannot wipe it.
 */
export async function putSpeedToLeadSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency">>,
): Promise<{ settings: SpeedToLeadSettings; version: number }> {
  const parsed = speedToLeadSettingsSchema.safeParse(withoutSecretHints(input));
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
