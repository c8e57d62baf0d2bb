import type { Database } from "../../schema/db";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import type { RequestActor } from "../context";
import {
  type Dna,
  type DnaLayerName,
  diffLayers,
  dnaDefaults,
  dnaLayerSchema,
  dnaSchema,
  mergeLayers,
} from "../dna/schema";
import { type FieldError, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { dnaLayersOf, writeLayerIfVersion } from "../repositories/dna";
import { findProject } from "../repositories/projects";
import type { VoiceSettings } from "../voice/settings";

interface Context {
  db: Database;
  actor: RequestActor;
}

export interface ProjectDna {
  dna: Dna;
  layers: Record<DnaLayerName, unknown>;
  /** Per written layer; 0 when the layer has never been written. */
  versions: { generated: number; custom: number };
}

const fieldErrors = (issues: { path: PropertyKey[]; message: string }[], prefix = ""): FieldError[] =>
  issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(body)",
    message: i.message,
  }));

/** The merged DNA of a project inside a tenant transaction (what agents and the bridge read). */
export async function loadDna(tx: Transaction, projectId: string): Promise<ProjectDna | undefined> {
  const project = await findProject(tx, projectId);
  if (!project) return undefined;
  const rows = await dnaLayersOf(tx, projectId);
  const row = (layer: string) => rows.find((r) => r.layer === layer);
  const layers = {
    defaults: dnaDefaults(project.name),
    generated: row("generated")?.content ?? {},
    custom: row("custom")?.content ?? {},
  };
  const merged = dnaSchema.safeParse(mergeLayers(layers.defaults, layers.generated, layers.custom));
  // Every write is validated against the merge, so a stored DNA that does not parse is a bug.
  if (!merged.success) throw new Error(`stored DNA of ${projectId} is invalid: ${merged.error.message}`);
  return {
    dna: merged.data,
    layers,
    versions: { generated: row("generated")?.version ?? 0, custom: row("custom")?.version ?? 0 },
  };
}

export async function getDna(projectId: string, { db, actor }: Context): Promise<ProjectDna> {
  const found = await withTenant(db, actor.auth.tenantId, (tx) => loadDna(tx, projectId));
  if (!found) throw problems.notFound(`No project ${projectId}.`);
  return found;
}

export async function speedToLeadSettings(tx: Transaction, projectId: string): Promise<VoiceSettings | undefined> {
  return (await loadDna(tx, projectId))?.dna.modules.speedToLead;
}

/**
 * Replaces one written layer (`custom` by people, `generated` by onboarding)
 * if it is still at `expectedVersion`. The layer must be a valid partial DNA
 * and the merge a valid whole one; the audit entry carries the diff.
 */
export async function putDnaLayer(
  projectId: string,
  layer: "generated" | "custom",
  content: unknown,
  expectedVersion: number,
  { db, actor }: Context,
): Promise<ProjectDna> {
  const parsed = dnaLayerSchema.safeParse(content);
  if (!parsed.success) throw problems.validation(fieldErrors(parsed.error.issues));
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const current = await loadDna(tx, projectId);
    if (!current) throw problems.notFound(`No project ${projectId}.`);
    const stale = () => problems.versionMismatch(`The ${layer} DNA layer`, current.versions[layer]);
    if (current.versions[layer] !== expectedVersion) throw stale();
    const layers = { ...current.layers, [layer]: parsed.data };
    const merged = dnaSchema.safeParse(mergeLayers(layers.defaults, layers.generated, layers.custom));
    if (!merged.success) throw problems.validation(fieldErrors(merged.error.issues));
    const written = await writeLayerIfVersion(
      tx,
      { tenantId: actor.auth.tenantId, projectId, layer, content: parsed.data },
      expectedVersion,
    );
    if (!written) throw stale();
    await recordAudit(tx, actor, {
      action: `dna.${layer}.update`,
      entityType: "dna",
      entityId: projectId,
      before: { version: expectedVersion },
      after: { version: written.version, diff: diffLayers(current.layers[layer], parsed.data) },
    });
    return { dna: merged.data, layers, versions: { ...current.versions, [layer]: written.version } };
  });
}
