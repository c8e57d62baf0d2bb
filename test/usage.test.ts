import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

interface UsageReport {
  status: "active" | "paused";
  spentUsd: number;
  capUsd: number | null;
  resources: { resource: string; quantity: number; uses: number; costUsd: number }[];
}

const logUsage = (owner: TestTenant, params: Record<string, unknown>, overrides: Partial<Env> = {}) =>
  request(
    "/api/v1/tasks/log_usage",
    jsonRequest("POST", { params: { projectId: owner.projectId, ...params } }, owner.auth),
    overrides,
  );

const report = async (owner: TestTenant) =>
  (await request(`/api/v1/projects/${owner.projectId}/usage`, { headers: owner.auth })).json<UsageReport>();

const setCap = (owner: TestTenant, monthlyCapUsd: number | null) =>
  request(`/api/v1/projects/${owner.projectId}/spend-cap`, jsonRequest("PUT", { monthlyCapUsd }, owner.auth));

describe("usage ledger", () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await signUpTenant("usage");
  });

  it("log_usage prices a use from the price table and the month's report sums it in Postgres", async () => {
    const first = await logUsage(tenant, { resource: "voice_minute", quantity: 3 });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      result: { resource: "voice_minute", unit: "minute", quantity: 3, costUsd: 0.042, replayed: false },
    });
    await logUsage(tenant, { resource: "voice_minute", quantity: 2 });
    await logUsage(tenant, { resource: "sms_segment", quantity: 1 });
    const usage = await report(tenant);
    expect(usage.spentUsd).toBeCloseTo(0.0779, 6);
    expect(usage.resources).toEqual([
      { resource: "sms_segment", unit: "segment", quantity: 1, uses: 1, costUsd: 0.0079 },
      { resource: "voice_minute", unit: "minute", quantity: 5, uses: 2, costUsd: 0.07 },
    ]);
  });

  it("the same idempotency key records one use, however often it is sent", async () => {
    const owner = await signUpTenant("usage-key");
    const params = { resource: "sms_segment", quantity: 2, idempotencyKey: "sms-SM123" };
    const answers = await Promise.all(Array.from({ length: 5 }, () => logUsage(owner, params)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const usage = await report(owner);
    expect(usage.resources).toEqual([expect.objectContaining({ resource: "sms_segment", uses: 1 })]);
    expect(usage.spentUsd).toBeCloseTo(0.0158, 6);
    // The running total in the tenant object counted it once too.
    const month = new Date().toISOString().slice(0, 7);
    expect((await env.TENANT.getByName(owner.tenantId).spendState(owner.projectId, month))?.totalMicros).toBe(15_800);
  });

  it("an unknown resource is a 422 naming params.resource and records nothing", async () => {
    const owner = await signUpTenant("usage-bad");
    const response = await logUsage(owner, { resource: "gold_bars", quantity: 1 });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("params.resource");
    expect((await report(owner)).resources).toEqual([]);
  });

  it("another tenant's project is a 404 and nothing is spent", async () => {
    const other = await signUpTenant("usage-other");
    const response = await request(
      "/api/v1/tasks/log_usage",
      jsonRequest(
        "POST",
        { params: { projectId: tenant.projectId, resource: "sms_segment", quantity: 1 } },
        other.auth,
      ),
    );
    expect(response.status).toBe(404);
    expect((await report(tenant)).resources.find((r) => r.resource === "sms_segment")?.uses).toBe(1);
  });

  it("only an owner sets the spend cap", async () => {
    const admin = await apiKeyFor(tenant, "admin");
    const response = await request(
      `/api/v1/projects/${tenant.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: 1 }, admin),
    );
    expect(response.status).toBe(403);
  });
});

describe("spend caps", () => {
  it("the use that reaches the cap is recorded and pauses the project", async () => {
    const owner = await signUpTenant("cap-reach");
    expect((await setCap(owner, 0.05)).status).toBe(200);
    expect((await logUsage(owner, { resource: "voice_minute", quantity: 5 })).status).toBe(200);
    const usage = await report(owner);
    expect(usage).toMatchObject({ status: "paused", capUsd: 0.05, spentUsd: 0.07 });
  });

  it("a spend that happened is recorded even when the project is paused", async () => {
    const owner = await signUpTenant("cap-record");
    await setCap(owner, 0.01);
    await logUsage(owner, { resource: "voice_minute", quantity: 1 });
    const recorded = await logUsage(owner, { resource: "sms_segment", quantity: 1 });
    expect(recorded.status).toBe(200);
    expect(await report(owner)).toMatchObject({ status: "paused", spentUsd: 0.0219 });
  });

  it("a new project starts with the default monthly cap", async () => {
    const owner = await signUpTenant("cap-default");
    expect(await report(owner)).toMatchObject({ status: "active", capUsd: Number(env.DEFAULT_MONTHLY_CAP_USD) });
    expect(Number(env.DEFAULT_MONTHLY_CAP_USD)).toBe(50);
  });

  it("raising the cap above the month's spend resumes spending; removing it lifts the limit", async () => {
    const owner = await signUpTenant("cap-raise");
    await setCap(owner, 0.01);
    await logUsage(owner, { resource: "voice_minute", quantity: 1 });
    expect((await report(owner)).status).toBe("paused");
    const raised = await setCap(owner, 10);
    expect(await raised.json()).toMatchObject({ status: "active", capUsd: 10, spentUsd: 0.014 });
    await setCap(owner, 0.001);
    expect((await report(owner)).status).toBe("paused");
    await setCap(owner, null);
    expect(await report(owner)).toMatchObject({ status: "active", capUsd: null });
  });

  it("crossing 80 % and then 100 % of the cap alerts the owner once each", async () => {
    const owner = await signUpTenant("cap-alerts");
    await setCap(owner, 1);
    await logUsage(owner, { resource: "voice_minute", quantity: 58 }); // $0.812: past 80 %
    await logUsage(owner, { resource: "sms_segment", quantity: 1 }); // still past 80 % only
    await logUsage(owner, { resource: "voice_minute", quantity: 14 }); // $1.0099: the cap
    await logUsage(owner, { resource: "voice_minute", quantity: 1 }); // over it, nothing new to tell
    const page = await (
      await request(`/api/v1/realtime/poll?channels=project:${owner.projectId}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { type: string; data: { percent?: number } }[] }>();
    const alerts = page.events.filter((e) => e.type === "project.spend_alert");
    expect(alerts.map((e) => e.data.percent)).toEqual([80, 100]);
    const audit = await (await request("/api/v1/audit?limit=100", { headers: owner.auth })).json<{
      items: { action: string }[];
    }>();
    expect(audit.items.filter((a) => a.action === "project.spend_alert")).toHaveLength(2);
  });

  it("raising the cap starts the alerts over from where the month stands", async () => {
    const owner = await signUpTenant("cap-alerts-raise");
    await setCap(owner, 1);
    await logUsage(owner, { resource: "voice_minute", quantity: 58 }); // 80 % of $1
    await setCap(owner, 2); // now 41 %
    await logUsage(owner, { resource: "voice_minute", quantity: 58 }); // $1.624: 81 % of $2
    const page = await (
      await request(`/api/v1/realtime/poll?channels=project:${owner.projectId}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { type: string; data: { percent?: number; capUsd?: number } }[] }>();
    const alerts = page.events
      .filter((e) => e.type === "project.spend_alert")
      .map((e) => [e.data.percent, e.data.capUsd]);
    expect(alerts).toEqual([
      [80, 1],
      [80, 2],
    ]);
  });

  it("pausing and resuming are published on the project's channel and audited", async () => {
    const owner = await signUpTenant("cap-events");
    await setCap(owner, 0.01);
    await logUsage(owner, { resource: "voice_minute", quantity: 1 });
    await setCap(owner, 5);
    const page = await (
      await request(`/api/v1/realtime/poll?channels=project:${owner.projectId}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { type: string }[] }>();
    expect(page.events.map((e) => e.type)).toEqual(["project.paused", "project.spend_alert", "project.resumed"]);
    const audit = await (await request("/api/v1/audit?limit=50", { headers: owner.auth })).json<{
      items: { action: string }[];
    }>();
    const actions = audit.items.map((a) => a.action);
    expect(actions).toContain("project.paused");
    expect(actions.filter((a) => a === "project.spend_cap.set")).toHaveLength(2);
    expect(actions).toContain("usage.recorded");
  });
});
