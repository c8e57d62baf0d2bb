import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { TenantDurableObject } from "../durable-objects/tenant";
import { request } from "./helpers";
import { formTokenFor } from "./intake-secrets";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { scriptPhone, testPhone } from "./twilio";

/**
 * The tenant objects as a request sees them, except that `method` fails the
 * first time it is called: the Worker "dies" between its first write and
 * this second step.
 */
function tenantsFailingOnce(method: string): DurableObjectNamespace<TenantDurableObject> {
  let failed = false;
  return new Proxy(env.TENANT, {
    get(namespace, property) {
      if (property !== "getByName") return Reflect.get(namespace, property);
      return (name: string) =>
        new Proxy(namespace.getByName(name), {
          get(stub, call) {
            if (call === method && !failed) {
              failed = true;
              return async () => {
                throw new Error(`killed before ${method}`);
              };
            }
            return Reflect.get(stub, call);
          },
        });
    },
  });
}

const eventually = <T>(check: () => Promise<T>) => vi.waitFor(check, { timeout: 15_000, interval: 100 });

const subscriptionsOf = (tenant: TestTenant) =>
  runInDurableObject(env.TENANT.getByName(tenant.tenantId), async (_o: TenantDurableObject, state) =>
    state.storage.sql
      .exec<{ event_type: string }>("SELECT event_type FROM webhook_subscriptions ORDER BY event_type")
      .toArray()
      .map((row) => row.event_type),
  );

describe("a webhook endpoint change whose tenant-object step dies", () => {
  it("an endpoint stored in Postgres whose subscription sync died still receives the next event", async () => {
    const tenant = await signUpTenant("half-endpoint");
    const url = `${env.WEBHOOK_RECEIVER_URL}/hooks/${crypto.randomUUID()}`;
    const created = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url, events: ["entity.created"] }, tenant.auth),
      { TENANT: tenantsFailingOnce("setWebhookSubscriptions") },
    );
    expect(created.status).toBe(500);
    const listed = await request("/api/v1/webhook-endpoints", { headers: tenant.auth });
    const [endpoint] = (await listed.json<{ items: { id: string }[] }>()).items;
    expect(endpoint).toBeDefined();

    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "keyword", name: "after the half-write" }, tenant.auth),
    );

    const delivered = await eventually(async () => {
      const log = await request(`/api/v1/webhook-endpoints/${endpoint?.id}/deliveries`, { headers: tenant.auth });
      const { items } = await log.json<{ items: { eventType: string }[] }>();
      if (items.length === 0) throw new Error("not delivered yet");
      return items;
    });
    expect(delivered.map((d) => d.eventType)).toEqual(["entity.created"]);
  });

  it("an endpoint deleted in Postgres whose subscription sync died stops costing dispatches after one event", async () => {
    const tenant = await signUpTenant("half-endpoint-delete");
    const url = `${env.WEBHOOK_RECEIVER_URL}/hooks/${crypto.randomUUID()}`;
    const registered = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url, events: ["entity.created"] }, tenant.auth),
    );
    const { id } = await registered.json<{ id: string }>();
    const deleted = await request(
      `/api/v1/webhook-endpoints/${id}`,
      { method: "DELETE", headers: { ...tenant.auth, "if-match": '"1"' } },
      { TENANT: tenantsFailingOnce("setWebhookSubscriptions") },
    );
    expect(deleted.status).toBe(500);
    // The half-write: Postgres has no endpoint, the object still asks for entity.created.
    expect(await subscriptionsOf(tenant)).toEqual(["entity.created"]);

    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "keyword", name: "nobody wants this" }, tenant.auth),
    );

    await eventually(async () => {
      const left = await subscriptionsOf(tenant);
      if (left.length > 0) throw new Error(`still subscribed to ${left.join(", ")}`);
    });
  });
});

describe("a lead whose intake dies after it was stored, before the tenant object heard of it", () => {
  it("a retried copy of the request joins the stored lead and makes its bridge ticket, once, and no second lead", async () => {
    const tenant = await signUpTenant("half-lead");
    const ownerPhone = testPhone();
    const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
    const current = await request(path, { headers: tenant.auth });
    const saved = await request(
      path,
      jsonRequest(
        "PUT",
        { ownerPhone, trackingNumber: testPhone() },
        { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
      ),
    );
    expect(saved.status).toBe(200);
    const formToken = await formTokenFor(tenant);
    await scriptPhone(ownerPhone, { answer: "no-answer" });
    const lead = { name: "Half Harriet", phone: testPhone(), message: "Boiler out" };
    const post = (body: Record<string, unknown>, overrides: Partial<Env> = {}) =>
      request(
        `/webhooks/leads/form?project=${tenant.projectId}&token=${formToken}`,
        jsonRequest("POST", body, {}),
        overrides,
      );
    const stub = env.TENANT.getByName(tenant.tenantId);
    const bridgeTickets = async () => (await stub.listTickets(undefined, 50)).filter((t) => t.task === "sales_agent");
    const leadIds = async () => {
      const leads = await request("/api/v1/entities?type=lead&limit=10", { headers: tenant.auth });
      return (await leads.json<{ items: { id: string }[] }>()).items.map((l) => l.id);
    };

    // The lead commits in Postgres; the one call that would complete its keys and make its tickets fails.
    const dying = await post(lead, { TENANT: tenantsFailingOnce("settle") });
    expect(dying.status).toBe(500);
    expect(await bridgeTickets()).toEqual([]);
    const [stored] = await leadIds();
    expect(stored).toBeDefined();

    // The source retries the same request: it joins the stored lead. Then the person fills the form in again.
    const retried = await post(lead);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ leadId: stored });
    const again = await post({ ...lead, message: "Boiler still out" });
    expect(await again.json()).toMatchObject({ leadId: stored, duplicate: true });

    expect(await bridgeTickets()).toHaveLength(1);
    expect(await leadIds()).toEqual([stored]);
  });
});
