import { problems, zodFieldErrors } from "../problems";
import type { ServiceContext } from "../service-context";
import { getDna, updateDnaLayer } from "../services/dna";
import { type LeadHunterSettings, leadHunterSettingsSchema } from "./settings";

/**
 * The lead hunter's settings are the DNA's `modules.leadHunter`: a focused
 * view onto it, as speed-to-lead's settings are. A write replaces that module
 * in the custom layer, under the layer's version (the ETag), and is audited
 * with the DNA's diff — so switching `contactPolicy` to `bridge-public-phone`
 * is on record with who did it.
 */
export async function getLeadHunterSettings(projectId: string, context: Pick<ServiceContext, "db" | "actor">) {
  const { dna, versions } = await getDna(projectId, context);
  return { settings: dna.modules.leadHunter, version: versions.custom };
}

export async function putLeadHunterSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency" | "env">>,
): Promise<{ settings: LeadHunterSettings; version: number }> {
  const parsed = leadHunterSettingsSchema.strict().safeParse(input);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
  const saved = await updateDnaLayer(
    projectId,
    "custom",
    (stored) => {
      const custom = (stored ?? {}) as { modules?: Record<string, unknown> };
      return { ...custom, modules: { ...custom.modules, leadHunter: parsed.data } };
    },
    expectedVersion,
    context,
  );
  return { settings: saved.dna.modules.leadHunter, version: saved.versions.custom };
}
