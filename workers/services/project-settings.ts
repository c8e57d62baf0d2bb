import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import type { RequestActor } from "../context";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findProject, updateProjectSettingsIfVersion } from "../repositories/projects";
import { type VoiceSettings, voiceSettingsOf, voiceSettingsSchema } from "../voice/settings";

interface Context {
  db: Database;
  actor: RequestActor;
}

export async function getVoiceSettings(projectId: string, { db, actor }: Context) {
  const project = await withTenant(db, actor.auth.tenantId, (tx) => findProject(tx, projectId));
  if (!project) throw problems.notFound(`No project ${projectId}.`);
  return { settings: voiceSettingsOf(project.settings), version: project.version };
}

/** Replaces the project's voice settings (validated whole); needs the project's current version. */
export async function putVoiceSettings(
  projectId: string,
  expectedVersion: number,
  input: unknown,
  { db, actor }: Context,
): Promise<{ settings: VoiceSettings; version: number }> {
  const parsed = voiceSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw problems.validation(
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message })),
    );
  }
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const project = await findProject(tx, projectId);
    if (!project) throw problems.notFound(`No project ${projectId}.`);
    const stale = new Problem({
      status: 412,
      code: "version-mismatch",
      title: "Precondition Failed",
      detail: `The project changed since you read it; it is at version ${project.version}.`,
    });
    if (project.version !== expectedVersion) throw stale;
    const settings = { ...(project.settings as Record<string, unknown>), voice: parsed.data };
    const updated = await updateProjectSettingsIfVersion(tx, projectId, expectedVersion, settings);
    if (!updated) throw stale;
    await recordAudit(tx, actor, {
      action: "project.voice_settings.set",
      entityType: "project",
      entityId: projectId,
      before: voiceSettingsOf(project.settings),
      after: parsed.data,
    });
    return { settings: parsed.data, version: updated.version };
  });
}
