import { openDatabase } from "../../schema/db";
import { systemActor } from "../context";
import { laneOf, taskParams } from "../queue/tasks";
import { listEntityPage } from "../services/entities";
import { EXPORT_ROLE } from "../services/tasks";
import { objectKeys } from "../storage/object-keys";
import { defineAgent } from "./agent";

/** A ticketed run's id is its ticket's id: the download derives the same key from the ticket. */
export const exportKey = objectKeys.export;
const PAGE = 200;

/**
 * Heavy: every entity of the tenant (optionally one type) as NDJSON in R2,
 * with progress per page. Reading the finished ticket gives a signed
 * `downloadUrl` (services/tasks.ts); GET /api/v1/tickets/{id}/download serves
 * the same file to an authenticated admin.
 */
export const entityExport = defineAgent({
  task: "entity_export",
  mode: "heavy",
  role: EXPORT_ROLE,
  params: taskParams.entity_export,
  async run(params, { env, tenantId, runId, reportProgress }) {
    const handle = openDatabase(env, laneOf("entity_export"));
    const lines: string[] = [];
    try {
      const context = { db: handle.db, actor: systemActor(tenantId, "entity_export") };
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listEntityPage({ type: params.type, cursor, limit: PAGE, deleted: "include" }, context);
        for (const entity of page.items) lines.push(JSON.stringify(entity));
        pages += 1;
        await reportProgress(Math.min(90, pages * 10), `${lines.length} entities read`);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    } finally {
      await handle.close();
    }
    const key = exportKey(tenantId, runId);
    await env.ARCHIVE.put(key, lines.length > 0 ? `${lines.join("\n")}\n` : "", {
      httpMetadata: { contentType: "application/x-ndjson" },
    });
    return { key, count: lines.length };
  },
});
