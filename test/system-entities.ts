import { env } from "cloudflare:workers";
import { openDatabase } from "../schema/db";
import { systemActor } from "../workers/context";
import { createEntity, type Entity } from "../workers/services/entities";
import type { TestTenant } from "./tenants";

/**
 * An entity as Apex itself would write it, `system` state included — the API
 * refuses `system`, so tests that need a call with a recording or a transcript
 * seed it through the service, as the voice code does.
 */
export async function seedSystemEntity(
  tenant: TestTenant,
  input: {
    type: string;
    name: string;
    status?: string;
    data?: Record<string, unknown>;
    system: Record<string, unknown>;
  },
): Promise<Entity> {
  const handle = openDatabase(env);
  try {
    return await createEntity(
      { projectId: tenant.projectId, data: {}, ...input },
      { db: handle.db, actor: systemActor(tenant.tenantId, "test") },
    );
  } finally {
    await handle.close();
  }
}

/** A Twilio-shaped recording SID (RE + 32 hex). */
export const recordingSid = () => `RE${crypto.randomUUID().replaceAll("-", "")}`;
