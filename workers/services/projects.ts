import { z } from "zod";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor } from "../context";
import { Problem, problems, zodFieldErrors } from "../problems";
import { recordAudit } from "../repositories/audit";
import {
  insertProject,
  listProjects as listProjectRows,
  lockTenantProjects,
  type ProjectRow,
  updateProject,
} from "../repositories/projects";
import { numbersHeldBy } from "../repositories/tracking-numbers";
import type { ServiceContext } from "../service-context";
import { usdToMicros } from "../usage/prices";
import { earlierEffect, recordEffect } from "./idempotent-effects";

/**
 * A tenant's projects: one per business location or brand. Each has its own
 * settings, lead sources, numbers, leads and cap. A project is archived, not
 * deleted: its leads and history stay readable, it leaves the switcher and
 * its lead forms are refused; it can be brought back. A tenant always keeps
 * one active project, so every page has one to show.
 */

/** What a project is called; the field a refusal names is `name`. */
export const projectInput = z
  .object({ name: z.string().trim().min(1, "must not be empty").max(100, "at most 100 characters") })
  .strict();

export interface ProjectView {
  id: string;
  name: string;
  spendStatus: string;
  createdAt: string;
  /** When it was archived; null while active. */
  archivedAt: string | null;
  /** The project's ETag: a rename needs it in If-Match. */
  version: number;
}

/** Numbers that came through Apex and must be released before their project is archived. */
const APEX_NUMBER_ORIGINS = ["purchased", "attached"] as const;

/** The lowest role that creates, renames and archives projects. */
const MANAGER = "admin";

function viewOf(row: ProjectRow): ProjectView {
  return {
    id: row.id,
    name: row.name,
    spendStatus: row.spendStatus,
    createdAt: row.createdAt.toISOString(),
    archivedAt: row.archivedAt?.toISOString() ?? null,
    version: row.version,
  };
}

function requireManager(actor: RequestActor): void {
  if (ROLE_RANK[actor.auth.role] >= ROLE_RANK[MANAGER]) return;
  throw new Problem({
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail: `Projects are created, renamed and archived by an ${MANAGER} or the owner.`,
  });
}

function parsed(input: unknown): z.output<typeof projectInput> {
  const result = projectInput.safeParse(input);
  if (!result.success) throw problems.validation(zodFieldErrors(result.error.issues));
  return result.data;
}

/** The cap a new project starts with (DEFAULT_MONTHLY_CAP_USD; empty: none). */
function defaultMonthlyCapMicros(env: Pick<Env, "DEFAULT_MONTHLY_CAP_USD">): number | null {
  const usd = env.DEFAULT_MONTHLY_CAP_USD?.trim();
  if (!usd) return null;
  const amount = Number(usd);
  if (!Number.isFinite(amount) || amount < 0) throw new Error(`DEFAULT_MONTHLY_CAP_USD is not an amount: ${usd}`);
  return usdToMicros(amount);
}

/**
 * What every new project starts with, whoever makes it: signup's first
 * project (services/identity.ts) and every later one (createProject).
 */
export function newProjectDefaults(env: Pick<Env, "DEFAULT_MONTHLY_CAP_USD">): { monthlyCapMicros: number | null } {
  return { monthlyCapMicros: defaultMonthlyCapMicros(env) };
}

/** Two projects of one tenant with one name would be two identical entries in the switcher. */
function requireFreeName(rows: ProjectRow[], name: string, except?: string): void {
  const taken = rows.find((row) => row.id !== except && row.name.toLowerCase() === name.toLowerCase());
  if (!taken) return;
  throw new Problem({
    status: 409,
    code: "project-name-taken",
    title: "Conflict",
    detail: `Another project is already called "${taken.name}"${taken.archivedAt ? " (archived)" : ""}; choose another name.`,
    errors: [{ field: "name", message: "already used by another project" }],
  });
}

/** The tenant's projects, oldest first: active ones, and archived ones too with `archived`. */
export async function listProjects(
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
  options: { archived?: boolean } = {},
): Promise<ProjectView[]> {
  const rows = await withTenant(db, actor.auth.tenantId, (tx) => listProjectRows(tx, options));
  return rows.map(viewOf);
}

type WriteContext = Pick<ServiceContext, "env" | "db" | "actor" | "publish"> &
  Partial<Pick<ServiceContext, "idempotency">>;

/**
 * One change to a project, in one transaction with its audit row and its
 * Idempotency-Key (decision 013): a retry answers what the first attempt did.
 * Announced on the project's channel once committed, and only then.
 */
async function changeProject(
  context: WriteContext,
  event: string,
  work: (tx: Transaction) => Promise<{ view: ProjectView; before: ProjectView | null } | { unchanged: ProjectView }>,
): Promise<ProjectView> {
  const { db, actor, idempotency } = context;
  requireManager(actor);
  const tenantId = actor.auth.tenantId;
  const outcome = await withTenant(db, tenantId, async (tx) => {
    const earlier = await earlierEffect<ProjectView>(tx, idempotency);
    if (earlier) return { view: earlier, announce: false };
    const done = await work(tx);
    const view = "unchanged" in done ? done.unchanged : done.view;
    if (!("unchanged" in done)) {
      await recordAudit(tx, actor, {
        action: event,
        entityType: "project",
        entityId: view.id,
        before: done.before,
        after: view,
      });
    }
    await recordEffect(tx, tenantId, idempotency, view);
    return { view, announce: !("unchanged" in done) };
  });
  if (outcome.announce) await context.publish(`project:${outcome.view.id}`, event, outcome.view);
  return outcome.view;
}

async function lockedProject(tx: Transaction, projectId: string): Promise<{ all: ProjectRow[]; row: ProjectRow }> {
  const all = await lockTenantProjects(tx);
  const row = all.find((p) => p.id === projectId);
  if (!row) throw problems.notFound(`No project ${projectId}.`);
  return { all, row };
}

/** A new project with the same defaults signup gives (its cap from DEFAULT_MONTHLY_CAP_USD). */
export async function createProject(input: unknown, context: WriteContext): Promise<ProjectView> {
  requireManager(context.actor);
  const { name } = parsed(input);
  return changeProject(context, "project.create", async (tx) => {
    requireFreeName(await lockTenantProjects(tx), name);
    const row = await insertProject(tx, {
      tenantId: context.actor.auth.tenantId,
      name,
      ...newProjectDefaults(context.env),
    });
    return { view: viewOf(row), before: null };
  });
}

/** Renames a project if it is still at `expectedVersion` (its ETag); else 412 and nothing changes. */
export async function renameProject(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  context: WriteContext,
): Promise<ProjectView> {
  requireManager(context.actor);
  const { name } = parsed(input);
  return changeProject(context, "project.rename", async (tx) => {
    const { all, row } = await lockedProject(tx, projectId);
    if (row.version !== expectedVersion) throw problems.versionMismatch(`Project ${projectId}`, row.version);
    requireFreeName(all, name, projectId);
    const updated = await updateProject(tx, projectId, { name }, expectedVersion);
    if (!updated) throw problems.versionMismatch(`Project ${projectId}`, row.version);
    return { view: viewOf(updated), before: viewOf(row) };
  });
}

/**
 * Archives a project. Refused while it holds a number bought or attached
 * through Apex (those cost money every month and must be released on
 * purpose), and when it is the tenant's last active project. Archiving an
 * archived project changes nothing.
 */
export async function archiveProject(projectId: string, context: WriteContext): Promise<ProjectView> {
  return changeProject(context, "project.archive", async (tx) => {
    const { all, row } = await lockedProject(tx, projectId);
    if (row.archivedAt) return { unchanged: viewOf(row) };
    const held = await numbersHeldBy(tx, projectId, APEX_NUMBER_ORIGINS);
    if (held.length > 0) {
      throw problems.conflict(
        "project-holds-numbers",
        `Project "${row.name}" still holds ${held.join(", ")}, bought or attached through Apex. ` +
          "Release its numbers first (Settings → Phone numbers), then archive it.",
      );
    }
    if (!all.some((p) => p.id !== projectId && !p.archivedAt)) {
      throw problems.conflict(
        "last-active-project",
        `Project "${row.name}" is this account's only active project; create or unarchive another before archiving it.`,
      );
    }
    const updated = await updateProject(tx, projectId, { archivedAt: new Date() });
    if (!updated) throw problems.notFound(`No project ${projectId}.`);
    return { view: viewOf(updated), before: viewOf(row) };
  });
}

/** Brings an archived project back: it is in the switcher again and its lead forms take leads. */
export async function unarchiveProject(projectId: string, context: WriteContext): Promise<ProjectView> {
  return changeProject(context, "project.unarchive", async (tx) => {
    const { row } = await lockedProject(tx, projectId);
    if (!row.archivedAt) return { unchanged: viewOf(row) };
    const updated = await updateProject(tx, projectId, { archivedAt: null });
    if (!updated) throw problems.notFound(`No project ${projectId}.`);
    return { view: viewOf(updated), before: viewOf(row) };
  });
}

/** The answer a lead form of an archived project gets (workers/intake/take-lead.ts). */
export function projectArchived(projectId: string): Problem {
  return new Problem({
    status: 409,
    code: "project-archived",
    title: "Project archived",
    detail: `Project ${projectId} is archived and takes no leads. Unarchive it (Settings → Projects), or point this form at an active project.`,
  });
}
