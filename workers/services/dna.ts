import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import {
  type Dna,
  type DnaLayer,
  type DnaLayerName,
  diffLayers,
  dnaDefaults,
  dnaLayerSchema,
  dnaSchema,
  mergeLayers,
} from "../dna/schema";
import { armHuntSchedule } from "../hunter/schedule";
import { problems, zodFieldErrors } from "../problems";
import { recordAudit } from "../repositories/audit";
import { dnaLayersOf, writeLayerIfVersion } from "../repositories/dna";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import type { SpeedToLeadSettings } from "../speed-to-lead/settings";
import { claimTrackingNumber } from "../speed-to-lead/tracking-number-claims";
import { earlierEffect, recordEffect } from "./idempotent-effects";
import { refreshFallbacks } from "./phone-numbers";

export interface ProjectDna {
  dna: Dna;
  layers: Record<DnaLayerName, unknown>;
  /** Per written layer; 0 when the layer has never been written. */
  versions: { generated: number; custom: number };
}

/** The merged DNA of a project inside a tenant transaction (what agents and the bridge read). */
async function loadDna(tx: Transaction, projectId: string): Promise<ProjectDna | undefined> {
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

/** A project's DNA. API and web pages both read through here. */
export async function getDna(
  projectId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<ProjectDna> {
  const found = await withTenant(db, actor.auth.tenantId, (tx) => loadDna(tx, projectId));
  if (!found) throw problems.notFound(`No project ${projectId}.`);
  return found;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The lead sources' secrets are not DNA (decision 017): the DNA is read by
 * every member, diffed into the audit log and replayed from the idempotency
 * store, so a secret written into it would be copied in clear to all of them.
 * A layer that still carries the old `intake` key is refused, naming where
 * secrets are set now.
 */
function refuseIntakeSecrets(layer: DnaLayer): void {
  const speedToLead = layer.modules?.speedToLead;
  if (!isObject(speedToLead) || !("intake" in speedToLead)) return;
  throw problems.validation([
    {
      field: "modules.speedToLead.intake",
      message: "lead sources' secrets are not DNA: rotate them at /api/v1/projects/{id}/intake-secrets/{source}/rotate",
    },
  ]);
}

export type DnaDiff = { path: string; before: unknown; after: unknown }[];

export async function leadHunterSettings(tx: Transaction, projectId: string) {
  return (await loadDna(tx, projectId))?.dna.modules.leadHunter;
}

export async function speedToLeadSettings(
  tx: Transaction,
  projectId: string,
): Promise<SpeedToLeadSettings | undefined> {
  return (await loadDna(tx, projectId))?.dna.modules.speedToLead;
}

/**
 * What replacing a written layer with `content` would change, as the diff
 * the audit log would record. Validates like a save.
 */
export async function previewDnaLayer(
  projectId: string,
  layer: "generated" | "custom",
  content: unknown,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<DnaDiff> {
  const parsed = dnaLayerSchema.safeParse(content);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
  refuseIntakeSecrets(parsed.data);
  const current = await withTenant(db, actor.auth.tenantId, (tx) => loadDna(tx, projectId));
  if (!current) throw problems.notFound(`No project ${projectId}.`);
  return diffLayers(current.layers[layer], parsed.data);
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
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency" | "env">>,
): Promise<ProjectDna> {
  return updateDnaLayer(projectId, layer, () => content, expectedVersion, context);
}

/**
 * `putDnaLayer` with the new content computed from the layer as stored, in
 * the same transaction (a focused editor such as the speed-to-lead settings
 * replaces one part and keeps the rest).
 */
export async function updateDnaLayer(
  projectId: string,
  layer: "generated" | "custom",
  change: (stored: unknown) => unknown,
  expectedVersion: number,
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency" | "env">>,
): Promise<ProjectDna> {
  const { db, actor, idempotency, env } = context;
  const saved = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<ProjectDna>(tx, idempotency);
    if (earlier) return earlier;
    const current = await loadDna(tx, projectId);
    if (!current) throw problems.notFound(`No project ${projectId}.`);
    const stale = () => problems.versionMismatch(`The ${layer} DNA layer`, current.versions[layer]);
    if (current.versions[layer] !== expectedVersion) throw stale();
    const parsed = dnaLayerSchema.safeParse(change(current.layers[layer]));
    if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
    refuseIntakeSecrets(parsed.data);
    const content = parsed.data;
    const layers = { ...current.layers, [layer]: content };
    const merged = dnaSchema.safeParse(mergeLayers(layers.defaults, layers.generated, layers.custom));
    if (!merged.success) throw problems.validation(zodFieldErrors(merged.error.issues));
    const written = await writeLayerIfVersion(
      tx,
      { tenantId: actor.auth.tenantId, projectId, layer, content },
      expectedVersion,
    );
    if (!written) throw stale();
    await claimTrackingNumber(tx, {
      tenantId: actor.auth.tenantId,
      projectId,
      number: merged.data.modules.speedToLead.trackingNumber,
    });
    await recordAudit(tx, actor, {
      action: `dna.${layer}.update`,
      entityType: "dna",
      entityId: projectId,
      before: { version: expectedVersion },
      after: { version: written.version, diff: diffLayers(current.layers[layer], content) },
    });
    const versions = { ...current.versions, [layer]: written.version };
    const result: ProjectDna = { dna: merged.data, layers, versions };
    await recordEffect(tx, actor.auth.tenantId, idempotency, result);
    return result;
  });
  // The phones a tracking number falls back to may have changed: its static document follows.
  if (env) {
    await refreshFallbacks(projectId, { env, db, actor });
    // An enabled hunter's schedule is armed from here; a disabled one stops at its next wake-up.
    const { leadHunter, speedToLead } = saved.dna.modules;
    await armHuntSchedule(projectId, leadHunter, speedToLead.timezone, { env, actor });
  }
  return saved;
}
