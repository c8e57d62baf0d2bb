import { describe, expect, it, vi } from "vitest";
import { zoneWhereItIs } from "../dev/local-hours";
import { request } from "./helpers";
import { jsonRequest, saveSpeedToLeadSettings, signUpTenant, type TestTenant } from "./tenants";
import { settledTicket } from "./tickets";
import { testPhone } from "./twilio";

/**
 * Per-tenant fairness on the bulk lane (#18): one tenant's long campaign —
 * its sender holds a bulk-lane invocation for a whole sending stretch — must
 * not make another tenant's bulk work wait for it.
 */
const RECIPIENTS = 300;
/** Texts a second: 300 recipients take 100 s, longer than one sending stretch and than this test. */
const PACE = 3;
/** Another tenant's small export is done within this of asking, however long the campaign beside it runs. */
const EXPORT_BOUND_MS = 15_000;

interface Campaign {
  id: string;
  run: { state: string };
  counts: { byStatus: Record<string, number>; total: number };
}
interface Ticket {
  id: string;
  status: string;
  result: { count?: number } | null;
}

/** A tenant whose project texts from a tracking number, in a zone where it is daytime now. */
async function shop(label: string): Promise<TestTenant> {
  const tenant = await signUpTenant(label);
  await saveSpeedToLeadSettings(tenant, {
    ownerPhone: testPhone(),
    trackingNumber: testPhone(),
    timezone: zoneWhereItIs(10, 18),
  });
  return tenant;
}

async function importCustomers(tenant: TestTenant, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => `Customer ${i},${testPhone()},2025-01-15,Water heater`);
  const imported = await request(
    `/api/v1/projects/${tenant.projectId}/customer-imports`,
    jsonRequest(
      "POST",
      {
        csv: ["name,phone,last job date,job type", ...rows].join("\n"),
        consentBasis: "existing-customer",
        confirm: true,
      },
      tenant.auth,
    ),
  );
  if (imported.status !== 200) throw new Error(`import: ${imported.status} ${await imported.text()}`);
}

const campaign = async (tenant: TestTenant, id: string) =>
  (await request(`/api/v1/campaigns/${id}`, { headers: tenant.auth })).json<Campaign>();

const ticket = async (tenant: TestTenant, id: string) =>
  (await request(`/api/v1/tickets/${id}`, { headers: tenant.auth })).json<Ticket>();

async function startExport(tenant: TestTenant, type?: string): Promise<string> {
  const started = await request(
    "/api/v1/tasks/entity_export",
    jsonRequest("POST", { params: type ? { type } : {} }, { ...tenant.auth, "idempotency-key": crypto.randomUUID() }),
  );
  if (started.status !== 202) throw new Error(`export: ${started.status} ${await started.text()}`);
  return (await started.json<Ticket>()).id;
}

describe("the bulk lane", () => {
  it("another tenant's export finishes while one tenant's large campaign is still sending", {
    timeout: 90_000,
  }, async () => {
    const big = await shop("fairness-campaign");
    const small = await signUpTenant("fairness-export");
    await importCustomers(big, RECIPIENTS);
    for (const name of ["north", "south", "east"]) {
      const made = await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: small.projectId, type: "keyword", name }, small.auth),
      );
      expect(made.status).toBe(201);
    }
    const drafted = await request(
      "/api/v1/campaigns",
      jsonRequest(
        "POST",
        {
          projectId: big.projectId,
          name: "Everyone, slowly",
          settings: { template: "Hi {{firstName|there}}, time for a check-up?", pacePerSecond: PACE },
        },
        big.auth,
      ),
    );
    expect(drafted.status).toBe(201);
    const { id: campaignId } = await drafted.json<Campaign>();
    let exportId: string | undefined;
    try {
      expect(
        (await request(`/api/v1/campaigns/${campaignId}/launch`, { method: "POST", headers: big.auth })).status,
      ).toBe(200);
      // Its sender is in its stretch: the texts are going out.
      await vi.waitFor(
        async () => {
          const sent = (await campaign(big, campaignId)).counts.byStatus.sent ?? 0;
          if (sent < 1) throw new Error("nothing sent yet");
        },
        { timeout: 20_000, interval: 250 },
      );

      const askedAt = Date.now();
      exportId = await startExport(small, "keyword");
      const done = await vi.waitFor(
        async () => {
          const current = await ticket(small, exportId as string);
          if (current.status === "queued" || current.status === "processing") {
            throw new Error(`export still ${current.status} after ${Date.now() - askedAt} ms`);
          }
          return current;
        },
        { timeout: EXPORT_BOUND_MS, interval: 100 },
      );
      const tookMs = Date.now() - askedAt;
      const meanwhile = await campaign(big, campaignId);

      expect(done).toMatchObject({ status: "completed", result: { count: 3 } });
      expect(tookMs).toBeLessThan(EXPORT_BOUND_MS);
      // It did not wait for the campaign: that is still sending, most of its texts still to go.
      expect(meanwhile.run.state).toBe("running");
      expect(meanwhile.counts.byStatus.sent ?? 0).toBeLessThan(RECIPIENTS / 2);
    } finally {
      await request(`/api/v1/campaigns/${campaignId}/cancel`, { method: "POST", headers: big.auth });
      if (exportId) await settledTicket(small, exportId, 75_000);
      // The cancelled campaign's sender notices within a second; an export of its own tenant, asked after
      // the cancel, runs behind it and behind any watchdog message of the campaign still in the queue.
      await settledTicket(big, await startExport(big), 75_000);
    }
    const after = await campaign(big, campaignId);
    expect(after.run.state).toBe("cancelled");
  });
});
