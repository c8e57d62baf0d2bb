import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor, Role } from "../context";
import { secretHint } from "../crypto/secret-box";
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
import { problems, zodFieldErrors } from "../problems";
import { recordAudit } from "../repositories/audit";
import { dnaLayersOf, writeLayerIfVersion } from "../repositories/dna";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { INTAKE_SECRETS, type SpeedToLeadSettings } from "../speed-to-lead/settings";
import { claimTrackingNumber } from "../speed-to-lead/tracking-number-claims";
import { earlierEffect, recordEffect } from "./idempotent-effects";

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

/**
 * A project's DNA as `actor` may see it: the intake secrets (lead sources
 * prove themselves with them) are admin-only, so lower roles get hints in
 * the merge and in every layer. API and web pages both read through here.
 */
export async function getDna(
  projectId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<ProjectDna> {
  const found = await withTenant(db, actor.auth.tenantId, (tx) => loadDna(tx, projectId));
  if (!found) throw problems.notFound(`No project ${projectId}.`);
  return visibleTo(actor, found);
}

/** The lowest role that reads intake secrets in full. */
const SECRET_READER: Role = "admin";

function visibleTo(actor: RequestActor, found: ProjectDna): ProjectDna {
  if (ROLE_RANK[actor.auth.role] >= ROLE_RANK[SECRET_READER]) return found;
  return {
    dna: hintSecrets(found.dna),
    layers: {
      defaults: hintSecrets(found.layers.defaults),
      generated: hintSecrets(found.layers.generated),
      custom: hintSecrets(found.layers.custom),
    },
    versions: found.versions,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A DNA-shaped value (the merge or any layer) with each intake secret replaced by its hint. */
function hintSecrets<T>(value: T): T {
  const modules = isObject(value) ? value.modules : undefined;
  const speedToLead = isObject(modules) ? modules.speedToLead : undefined;
  const intake = isObject(speedToLead) ? speedToLead.intake : undefined;
  if (!isObject(value) || !isObject(modules) || !isObject(speedToLead) || !isObject(intake)) return value;
  const hinted: Record<string, unknown> = { ...intake };
  for (const key of INTAKE_SECRETS) {
    const secret = hinted[key];
    if (typeof secret === "string") hinted[key] = secretHint(secret);
  }
  return { ...value, modules: { ...modules, speedToLead: { ...speedToLead, intake: hinted } } } as T;
}

export type DnaDiff = { path: string; before: unknown; after: unknown }[];

/**
 * A diff that is shown (preview) or kept (audit log) never carries a secret:
 * each side is put back at its path, hinted, and taken out again, so a
 * changed secret reads "…1234" → "…5678" whatever depth the diff stopped at.
 */
function hintDiff(diff: DnaDiff): DnaDiff {
  const hintAt = (path: string, value: unknown) => {
    const keys = path === "(root)" ? [] : path.split(".");
    const whole = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    return keys.reduce<unknown>((outer, key) => (isObject(outer) ? outer[key] : undefined), hintSecrets(whole));
  };
  return diff.map((d) => ({ path: d.path, before: hintAt(d.path, d.before), after: hintAt(d.path, d.after) }));
}

const isHint = (value: unknown) => typeof value === "string" && value === secretHint(value.slice(-4));

/** Speed-to-lead settings without the intake values that are hints (to validate what is new in them). */
export function withoutSecretHints(settings: unknown): unknown {
  const intake = isObject(settings) ? settings.intake : undefined;
  if (!isObject(settings) || !isObject(intake)) return settings;
  return { ...settings, intake: Object.fromEntries(Object.entries(intake).filter(([, value]) => !isHint(value))) };
}

/**
 * A form or client that only ever saw a secret's hint sends the hint back;
 * that means "unchanged", never "replace the secret with '…1234'".
 */
function keepHintedSecrets(layer: DnaLayer, current: SpeedToLeadSettings["intake"]): DnaLayer {
  const speedToLead = layer.modules?.speedToLead;
  const intake = speedToLead?.intake;
  if (!speedToLead || !isObject(intake)) return layer;
  const kept: Record<string, unknown> = { ...intake };
  for (const key of INTAKE_SECRETS) {
    const secret = current[key];
    if (secret && kept[key] === secretHint(secret)) kept[key] = secret;
  }
  return { ...layer, modules: { ...layer.modules, speedToLead: { ...speedToLead, intake: kept } } };
}

export async function speedToLeadSettings(
  tx: Transaction,
  projectId: string,
): Promise<SpeedToLeadSettings | undefined> {
  return (await loadDna(tx, projectId))?.dna.modules.speedToLead;
}

/**
 * What replacing a written layer with `content` would change, as the diff
 * the audit log would record (secrets hinted). Validates like a save.
 */
export async function previewDnaLayer(
  projectId: string,
  layer: "generated" | "custom",
  content: unknown,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<DnaDiff> {
  const parsed = dnaLayerSchema.safeParse(content);
  if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
  const current = await withTenant(db, actor.auth.tenantId, (tx) => loadDna(tx, projectId));
  if (!current) throw problems.notFound(`No project ${projectId}.`);
  const next = keepHintedSecrets(parsed.data, current.dna.modules.speedToLead.intake);
  return hintDiff(diffLayers(current.layers[layer], next));
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
  context: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency">>,
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
  { db, actor, idempotency }: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency">>,
): Promise<ProjectDna> {
  const saved = await withTenant(db, actor.auth.tenantId, async (tx) => {
    // Recorded as saved, shown through visibleTo on the way out, like the first answer.
    const earlier = await earlierEffect<ProjectDna>(tx, idempotency);
    if (earlier) return earlier;
    const current = await loadDna(tx, projectId);
    if (!current) throw problems.notFound(`No project ${projectId}.`);
    const stale = () => problems.versionMismatch(`The ${layer} DNA layer`, current.versions[layer]);
    if (current.versions[layer] !== expectedVersion) throw stale();
    const parsed = dnaLayerSchema.safeParse(change(current.layers[layer]));
    if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
    const content = keepHintedSecrets(parsed.data, current.dna.modules.speedToLead.intake);
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
      after: { version: written.version, diff: hintDiff(diffLayers(current.layers[layer], content)) },
    });
    const versions = { ...current.versions, [layer]: written.version };
    const result: ProjectDna = { dna: merged.data, layers, versions };
    await recordEffect(tx, actor.auth.tenantId, idempotency, result);
    return result;
  });
  return visibleTo(actor, saved);
}
