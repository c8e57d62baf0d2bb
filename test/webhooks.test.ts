import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { outboundUrlProblem } from "../workers/outbound/url-policy";
import { signatureHeader, verifySignature } from "../workers/webhooks/signature";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

interface Endpoint {
  id: string;
  url: string;
  enabled: boolean;
  consecutiveFailures: number;
  disabledReason: string | null;
  secretHint: string;
  version: number;
  secret?: string;
}

interface Received {
  eventId: string;
  eventType: string;
  attempt: number;
  verified: boolean;
  answeredWith: number;
  body: { id: string; type: string; data: { name?: string; status?: string } };
}

interface Delivery {
  eventType: string;
  status: string;
  attempts: { attempt: number; statusCode: number | null; error: string | null }[];
}

/** A named receiver on the local webhook receiver; `failFirst` deliveries get `failWith`. */
async function receiver(options: { failFirst?: number; failWith?: number } = {}) {
  const name = crypto.randomUUID();
  return {
    name,
    url: `${env.WEBHOOK_RECEIVER_URL}/hooks/${name}`,
    async configure(secret: string) {
      await fetch(`${env.WEBHOOK_RECEIVER_URL}/_receivers/${name}`, {
        method: "PUT",
        body: JSON.stringify({ secret, ...options }),
      });
    },
    async received(): Promise<Received[]> {
      const answer = await fetch(`${env.WEBHOOK_RECEIVER_URL}/_receivers/${name}`);
      return (await answer.json<{ received: Received[] }>()).received;
    },
  };
}

async function register(owner: TestTenant, url: string, events: string[]): Promise<Endpoint> {
  const response = await request("/api/v1/webhook-endpoints", jsonRequest("POST", { url, events }, owner.auth));
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${await response.text()}`);
  return response.json<Endpoint>();
}

/** Registers an endpoint and gives the receiver its secret, as an integrator would. */
async function wire(owner: TestTenant, events: string[], options: { failFirst?: number; failWith?: number } = {}) {
  const sink = await receiver(options);
  const endpoint = await register(owner, sink.url, events);
  await sink.configure(endpoint.secret ?? "");
  return { sink, endpoint };
}

const createLead = (owner: TestTenant, name: string, type = "lead") =>
  request("/api/v1/entities", jsonRequest("POST", { projectId: owner.projectId, type, name }, owner.auth));

const deliveries = async (owner: TestTenant, id: string) =>
  (
    await (
      await request(`/api/v1/webhook-endpoints/${id}/deliveries`, { headers: owner.auth })
    ).json<{
      items: Delivery[];
    }>()
  ).items;

const eventually = <T>(check: () => Promise<T>) => vi.waitFor(check, { timeout: 15_000, interval: 100 });

describe("webhook endpoints", () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await signUpTenant("hooks");
  });

  it("registering answers 201 with the signing secret; later reads show only a hint", async () => {
    const created = await register(tenant, "https://hooks.example.com/apex", ["lead.created"]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
    const read = await request(`/api/v1/webhook-endpoints/${created.id}`, { headers: tenant.auth });
    const body = await read.json<Endpoint>();
    expect(body).not.toHaveProperty("secret");
    expect(body.secretHint).toBe(`whsec_…${created.secret?.slice(-4)}`);
    expect(read.headers.get("etag")).toBe('"1"');
  });

  it("a malformed URL or an unknown event type is a 422 naming the field", async () => {
    const badUrl = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url: "not a url", events: ["lead.created"] }, tenant.auth),
    );
    expect(badUrl.status).toBe(422);
    expect((await badUrl.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("url");
    const badEvent = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url: "https://hooks.example.com", events: ["lead.eaten"] }, tenant.auth),
    );
    expect(badEvent.status).toBe(422);
    expect((await badEvent.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("events.0");
  });

  it("in production an endpoint must be https to a public host", () => {
    const problem = (url: string, appEnv: string) => outboundUrlProblem(url, { appEnv, field: "url" });
    expect(problem("http://hooks.example.com", "production")?.message).toBe("must use https");
    for (const internal of ["https://127.0.0.1/x", "https://10.1.2.3/x", "https://localhost/x"]) {
      expect(problem(internal, "production")?.field).toBe("url");
    }
    expect(problem("https://hooks.example.com/x", "production")).toBeUndefined();
    expect(problem("http://127.0.0.1:9999/x", "development")).toBeUndefined();
  });

  it("an edit needs If-Match: none is a 428, a stale one a 412", async () => {
    const created = await register(tenant, "https://hooks.example.com/edit", ["*"]);
    const path = `/api/v1/webhook-endpoints/${created.id}`;
    expect((await request(path, jsonRequest("PATCH", { description: "x" }, tenant.auth))).status).toBe(428);
    const stale = await request(
      path,
      jsonRequest("PATCH", { description: "x" }, { ...tenant.auth, "if-match": '"9"' }),
    );
    expect(stale.status).toBe(412);
    const ok = await request(path, jsonRequest("PATCH", { description: "x" }, { ...tenant.auth, "if-match": '"1"' }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('"2"');
  });

  it("a member cannot register endpoints and another tenant cannot see them", async () => {
    const member = await apiKeyFor(tenant, "member");
    const refused = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url: "https://hooks.example.com", events: ["*"] }, member),
    );
    expect(refused.status).toBe(403);
    const created = await register(tenant, "https://hooks.example.com/mine", ["*"]);
    const other = await signUpTenant("hooks-other");
    expect((await request(`/api/v1/webhook-endpoints/${created.id}`, { headers: other.auth })).status).toBe(404);
    expect((await request(`/api/v1/webhook-endpoints/${created.id}/deliveries`, { headers: other.auth })).status).toBe(
      404,
    );
  });

  it("the delivery agents are internal: POST /tasks cannot start them", async () => {
    const response = await request(
      "/api/v1/tasks/webhook_deliver",
      jsonRequest("POST", { params: { deliveryId: crypto.randomUUID() } }, tenant.auth),
    );
    expect(response.status).toBe(404);
  });
});

describe("webhook deliveries", () => {
  it("a new lead is delivered once, signed, and the receiver verifies the signature", async () => {
    const owner = await signUpTenant("hooks-lead");
    const { sink, endpoint } = await wire(owner, ["lead.created"]);
    await createLead(owner, "Jane Leak");
    await createLead(owner, "Not a lead", "keyword");
    const [delivery] = await eventually(async () => {
      const got = await sink.received();
      expect(got).toHaveLength(1);
      return got;
    });
    expect(delivery).toMatchObject({
      eventType: "lead.created",
      verified: true,
      answeredWith: 200,
      body: { type: "lead.created", data: { name: "Jane Leak" } },
    });
    expect(delivery?.body.id).toBe(delivery?.eventId);
    const log = await eventually(async () => {
      const items = await deliveries(owner, endpoint.id);
      expect(items[0]?.status).toBe("succeeded");
      return items;
    });
    expect(log).toHaveLength(1);
    expect(log[0]?.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
  });

  it("a finished ticket is delivered as ticket.completed", async () => {
    const owner = await signUpTenant("hooks-ticket");
    const { sink } = await wire(owner, ["ticket.completed"]);
    const started = await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, owner.auth));
    const ticket = await started.json<{ id: string }>();
    const [delivery] = await eventually(async () => {
      const got = await sink.received();
      expect(got).toHaveLength(1);
      return got;
    });
    expect(delivery).toMatchObject({ eventType: "ticket.completed", verified: true });
    expect(delivery?.body.data).toMatchObject({ id: ticket.id, status: "completed" });
  });

  it("a delivery to a failing endpoint is retried, and every attempt is logged", async () => {
    const owner = await signUpTenant("hooks-retry");
    const { sink, endpoint } = await wire(owner, ["lead.created"], { failFirst: 1, failWith: 503 });
    await createLead(owner, "Retry Rita");
    const log = await eventually(async () => {
      const items = await deliveries(owner, endpoint.id);
      expect(items[0]?.status).toBe("succeeded");
      return items;
    });
    expect(log[0]?.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    const got = await sink.received();
    expect(got.map((r) => [r.attempt, r.answeredWith])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(new Set(got.map((r) => r.eventId)).size).toBe(1);
  });

  it("an endpoint that keeps failing is disabled and the tenant is told on webhook:{id}", async () => {
    const owner = await signUpTenant("hooks-disable");
    const { endpoint } = await wire(owner, ["lead.created"], { failFirst: 1_000, failWith: 500 });
    // WEBHOOK_MAX_ATTEMPTS=3 and WEBHOOK_DISABLE_AFTER=2 in tests: two leads, three attempts each.
    await createLead(owner, "First");
    await createLead(owner, "Second");
    const disabled = await eventually(async () => {
      const read = await (
        await request(`/api/v1/webhook-endpoints/${endpoint.id}`, { headers: owner.auth })
      ).json<Endpoint>();
      expect(read.enabled).toBe(false);
      return read;
    });
    expect(disabled.consecutiveFailures).toBe(2);
    expect(disabled.disabledReason).toContain("HTTP 500");
    const log = await deliveries(owner, endpoint.id);
    expect(log.map((d) => d.status)).toEqual(["failed", "failed"]);
    expect(log.every((d) => d.attempts.length === 3)).toBe(true);
    const page = await (
      await request(`/api/v1/realtime/poll?channels=webhook:${endpoint.id}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { type: string }[] }>();
    expect(page.events.map((e) => e.type)).toEqual(["webhook_endpoint.disabled"]);
  });

  it("re-enabling a disabled endpoint clears its failure count", async () => {
    const owner = await signUpTenant("hooks-reenable");
    const { endpoint } = await wire(owner, ["lead.created"], { failFirst: 1_000 });
    await createLead(owner, "A");
    await createLead(owner, "B");
    const disabled = await eventually(async () => {
      const read = await (
        await request(`/api/v1/webhook-endpoints/${endpoint.id}`, { headers: owner.auth })
      ).json<Endpoint>();
      expect(read.enabled).toBe(false);
      return read;
    });
    const enabled = await request(
      `/api/v1/webhook-endpoints/${endpoint.id}`,
      jsonRequest("PATCH", { enabled: true }, { ...owner.auth, "if-match": `"${disabled.version}"` }),
    );
    expect(await enabled.json()).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
  });
});

describe("webhook signatures", () => {
  const secret = "whsec_test";
  const body = JSON.stringify({ id: "evt_1", type: "lead.created", data: { name: "Jane" } });
  const now = 1_800_000_000;

  it("a receiver accepts the signature Apex sends", async () => {
    expect(await verifySignature(secret, await signatureHeader(secret, body, now), body, now + 10)).toEqual({
      valid: true,
    });
  });

  it("a changed body, a wrong secret or a changed timestamp fails verification", async () => {
    const header = await signatureHeader(secret, body, now);
    expect((await verifySignature(secret, header, body.replace("Jane", "Joan"), now)).valid).toBe(false);
    expect((await verifySignature("whsec_other", header, body, now)).valid).toBe(false);
    const shifted = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(await verifySignature(secret, shifted, body, now)).toEqual({ valid: false, reason: "signature mismatch" });
  });

  it("a delivery replayed after the window is refused", async () => {
    const header = await signatureHeader(secret, body, now);
    expect(await verifySignature(secret, header, body, now + 301)).toEqual({
      valid: false,
      reason: "timestamp outside the replay window",
    });
  });
});
