import type { Database } from "../../schema/db";
import type { RequestActor } from "../context";
import { problems } from "../problems";
import { type VoiceSettings, voiceSettingsSchema } from "../voice/settings";
import { getDna, updateDnaLayer, withoutSecretHints } from "./dna";

/**
 * Speed-to-lead settings are the DNA's `modules.speedToLead`. These two
 * functions are a focused view onto it: reading gives the merged value, and
 * writing replaces that module in the custom layer (its version is the ETag).
 */
interface Context {
  db: Database;
  actor: RequestActor;
}

/** As `actor` may see them: intake secrets are hinted below admin (services/dna.ts). */
export async function getVoiceSettings(projectId: string, context: Context) {
  const { dna, versions } = await getDna(projectId, context);
  return { settings: dna.modules.speedToLead, version: versions.custom };
}

/**
 * Replaces the settings whole. An intake secret sent back as the hint it was
 * shown as keeps the stored secret (putDnaLayer), so a form that never held
 * the secret cannot wipe it.
 */
export async function putVoiceSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: Context,
): Promise<{ settings: VoiceSettings; version: number }> {
  const parsed = voiceSettingsSchema.safeParse(withoutSecretHints(input));
  if (!parsed.success) {
    throw problems.validation(
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message })),
    );
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
