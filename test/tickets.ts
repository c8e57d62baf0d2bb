import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { openDatabase } from "../schema/db";
import { withTenant } from "../schema/tenant-transaction";
import { findTicketHistory } from "../workers/repositories/ticket-history";
import { request } from "./helpers";
import type { TestTenant } from "./tenants";

/** What the tickets API answers for a ticket, as far as these tests read it. */
export interface TicketView {
  id: string;
  status: string;
  message: string;
  error: string | null;
  attempts: number;
}

/**
 * The ticket once its run is over, not merely once it reads as settled: the
 * consumer fails or completes the ticket in the tenant object first and then
 * copies it into Postgres (recordFinishedTicket), so the history row is the
 * last thing the queue (or dead-letter) consumer's invocation writes. A test
 * that ends before it leaves that invocation running, and logging, while the
 * file's environment is torn down ("Closing rpc while onUserConsoleLog was
 * pending"). A ticket the queue retries reads "queued" between attempts, so
 * this waits out any retries and the dead-letter queue too.
 */
export async function settledTicket<T extends TicketView = TicketView>(
  tenant: TestTenant,
  id: string,
  timeout = 20_000,
): Promise<T> {
  const settled = await vi.waitFor(
    async () => {
      const current = await (await request(`/api/v1/tickets/${id}`, { headers: tenant.auth })).json<T>();
      if (current.status === "queued" || current.status === "processing") throw new Error(current.status);
      return current;
    },
    { timeout, interval: 100 },
  );
  const handle = openDatabase(env);
  try {
    await vi.waitFor(
      async () => {
        if (!(await withTenant(handle.db, tenant.tenantId, (tx) => findTicketHistory(tx, id)))) {
          throw new Error(`ticket ${id} not yet in history`);
        }
      },
      { timeout: 10_000, interval: 100 },
    );
  } finally {
    await handle.close();
  }
  return settled;
}
