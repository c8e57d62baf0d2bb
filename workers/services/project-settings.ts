import type { Database } from "../../schema/db";
import type { RequestActor } from "../context";
import { problems } from "../problems";
import { type VoiceSettings, voiceSettingsSchema } from "../voice/settings";
import { getDna, putDnaLayer } from "./dna";

/**
 * Speed-to-lead settings are the DNA's `modules.speedToLead`. These two
 * functions are a focused view onto it: reading gives the merged value, and
 * writing replaces that module in the custom layer (its version is the ETag).
 */
interface Context {
  db: Database;
  actor: RequestActor;
}

export async function getVoiceSettings(projectId: string, context: Context) {
  const { dna, versions } = await getDna(projectId, context);
  return { settings: dna.modules.speedToLead, version: versions.custom };
}

export async function putVoiceSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: Context,
): Promise<{ settings: VoiceSettings; version: number }> {
  const parsed = voiceSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw problems.validation(
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message })),
    );
  }
  const { layers } = await getDna(projectId, context);
  const custom = (layers.custom ?? {}) as { modules?: Record<string, unknown> };
  const saved = await putDnaLayer(
    projectId,
    "custom",
    { ...custom, modules: { ...custom.modules, speedToLead: input as Record<string, unknown> } },
    expectedVersion,
    context,
  );
  return { settings: saved.dna.modules.speedToLead, version: saved.versions.custom };
}
