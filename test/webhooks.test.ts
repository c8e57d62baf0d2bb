import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../schema/db";
import { webhookEndpoints } from "../schema/tables";
import { withTenant } from "../schema/tenant-transaction";
import { randomToken } from "../workers/auth/encoding";
import { outboundUrlProblem } from "../workers/outbound/url-policy";
import { signatureHeader, verifySignature } from "../workers/webhooks/signature";
import { newSecret, signingKey, standardWebhookHeaders } from "../workers/webhooks/standard-signature";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

interface Endpoint {
  id: string;
  url: string;
  enabled: boolean;
  consecutiveFailures: number;
  disabledReason: string | null;
  secretHint: string;
  signatureScheme: string;
  version: number;
  secret?: string;
}

interface Received {
  webhookId: string;
  eventType: string;
  attempt: number;
  verified: boolean;
  verdicts: { standard: string | null; legacy?: string | null };
  answeredWith: number;
  body: { id: string; type: string; data: { name?: string; status?: string } };
  rawBody: string;
  headers: Record<string, string>;
}

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: { attempt: number; statusCode: number | null; error: string | null }[];
}

/**
 * A named receiver on the local webhook receiver, which verifies with the
 * `standardwebhooks` library; `failFirst` deliveries get `failWith`; `legacy`
 * stands for an endpoint created before Standard Webhooks.
 */
async function receiver(options: { failFirst?: number; failWith?: number; legacy?: boolean } = {}) {
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
    // Standard Webhooks' form: whsec_ and standard base64 of 32 random bytes.
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.signatureScheme).toBe("standard");
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
    expect(new Set(got.map((r) => r.webhookId)).size).toBe(1);
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

/** The first delivery `sink` receives, once it has arrived. */
async function firstDelivery(sink: { received(): Promise<Received[]> }): Promise<Received> {
  return eventually(async () => {
    const [first] = await sink.received();
    if (!first) throw new Error("nothing received yet");
    return first;
  });
}

/** The library's verdict on a delivery: null when it verifies, else its reason. */
function libraryVerdict(webhook: Webhook, body: string, headers: Record<string, string>): string | null {
  try {
    webhook.verify(body, headers);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe("Standard Webhooks deliveries, verified by the standardwebhooks library", () => {
  let owner: TestTenant;
  let endpointId: string;
  let secret: string;
  let delivery: Received;
  beforeAll(async () => {
    owner = await signUpTenant("hooks-standard");
    const { sink, endpoint } = await wire(owner, ["lead.created"]);
    endpointId = endpoint.id;
    secret = endpoint.secret ?? "";
    await createLead(owner, "Stan Dard");
    delivery = await firstDelivery(sink);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a delivery verifies with the library and webhook-id is the delivery's id", async () => {
    expect(delivery.verdicts).toEqual({ standard: null });
    const payload = new Webhook(secret).verify(delivery.rawBody, delivery.headers);
    expect(payload).toMatchObject({ type: "lead.created", data: { name: "Stan Dard" } });
    const [logged] = await deliveries(owner, endpointId);
    expect(delivery.headers["webhook-id"]).toBe(logged?.id);
    expect(Math.abs(Number(delivery.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(delivery.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("a new endpoint gets none of the legacy headers, and keeps Apex-Event-Type and Apex-Delivery-Attempt", () => {
    for (const legacy of ["apex-signature", "apex-event-id", "apex-delivery-id"]) {
      expect(delivery.headers).not.toHaveProperty(legacy);
    }
    expect(delivery.headers["apex-event-type"]).toBe("lead.created");
    expect(delivery.headers["apex-delivery-attempt"]).toBe("1");
  });

  it("a tampered body fails verification", () => {
    const tampered = delivery.rawBody.replace("Stan Dard", "Stan Forged");
    expect(tampered).not.toBe(delivery.rawBody);
    expect(libraryVerdict(new Webhook(secret), tampered, delivery.headers)).toBe("No matching signature found");
  });

  it("a wrong secret fails verification", () => {
    expect(libraryVerdict(new Webhook(newSecret()), delivery.rawBody, delivery.headers)).toBe(
      "No matching signature found",
    );
  });

  it("the same delivery replayed more than five minutes later fails verification", () => {
    vi.setSystemTime((Number(delivery.headers["webhook-timestamp"]) + 301) * 1000);
    expect(libraryVerdict(new Webhook(secret), delivery.rawBody, delivery.headers)).toBe("Message timestamp too old");
  });

  it("a replay with a fresh webhook-timestamp fails verification: the timestamp is signed", () => {
    const fresh = { ...delivery.headers, "webhook-timestamp": String(Math.floor(Date.now() / 1000) + 1) };
    expect(libraryVerdict(new Webhook(secret), delivery.rawBody, fresh)).toBe("No matching signature found");
  });

  it("a retried delivery carries the same webhook-id and a signature for its own timestamp", async () => {
    const owner = await signUpTenant("hooks-standard-retry");
    const { sink } = await wire(owner, ["lead.created"], { failFirst: 1, failWith: 503 });
    await createLead(owner, "Retry Rhonda");
    const got = await eventually(async () => {
      const all = await sink.received();
      expect(all).toHaveLength(2);
      return all;
    });
    expect(got.map((r) => r.verdicts.standard)).toEqual([null, null]);
    expect(got[1]?.headers["webhook-id"]).toBe(got[0]?.headers["webhook-id"]);
  });
});

describe("the Standard Webhooks signer, checked against the library", () => {
  const body = JSON.stringify({ id: "evt_1_lead_created", type: "lead.created", data: { name: "Jane" } });
  const timestamp = Math.floor(Date.now() / 1000);

  it("signs exactly what the library signs for the same id, timestamp and body", async () => {
    const secret = newSecret();
    const headers = await standardWebhookHeaders([signingKey(secret, "base64")], {
      id: "evt_1_lead_created",
      timestamp,
      body,
    });
    expect(headers["webhook-signature"]).toBe(
      new Webhook(secret).sign("evt_1_lead_created", new Date(timestamp * 1000), body),
    );
  });

  it("while a secret rotates, both signatures are sent space-separated and either secret verifies", async () => {
    const [previous, next] = [newSecret(), newSecret()];
    const headers = await standardWebhookHeaders([signingKey(previous, "base64"), signingKey(next, "base64")], {
      id: "evt_2_lead_created",
      timestamp,
      body,
    });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(libraryVerdict(new Webhook(previous), body, headers)).toBeNull();
    expect(libraryVerdict(new Webhook(next), body, headers)).toBeNull();
    expect(libraryVerdict(new Webhook(newSecret()), body, headers)).toBe("No matching signature found");
  });

  it("refuses an id with a full stop, which would make the signed text ambiguous", async () => {
    await expect(
      standardWebhookHeaders([signingKey(newSecret(), "base64")], { id: "evt.1", timestamp, body }),
    ).rejects.toThrow(/must be non-empty, no "\."/);
  });
});

describe("endpoints created before Standard Webhooks (deprecated Apex-Signature, one release)", () => {
  /** An endpoint as the migration leaves one: its old base64url secret, scheme legacy+standard. */
  async function legacyEndpoint(owner: TestTenant) {
    const sink = await receiver({ legacy: true });
    const endpoint = await register(owner, sink.url, ["lead.created"]);
    const secret = `whsec_${randomToken(32)}`;
    const handle = openDatabase(env);
    try {
      await withTenant(handle.db, owner.tenantId, (tx) =>
        tx
          .update(webhookEndpoints)
          .set({ secret, signatureScheme: "legacy+standard" })
          .where(eq(webhookEndpoints.id, endpoint.id)),
      );
    } finally {
      await handle.close();
    }
    await sink.configure(secret);
    return { sink, endpoint, secret };
  }

  it("a legacy endpoint gets both Apex-Signature and the Standard Webhooks headers, and both verify", async () => {
    const owner = await signUpTenant("hooks-legacy");
    const { sink, secret } = await legacyEndpoint(owner);
    await createLead(owner, "Old Olga");
    const delivery = await firstDelivery(sink);
    expect(delivery.verdicts).toEqual({ standard: null, legacy: null });
    expect(delivery.headers["apex-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery.headers["apex-delivery-id"]).toBe(delivery.headers["webhook-id"]);
    expect(delivery.headers["apex-event-id"]).toBe(delivery.body.id);
    // The old secret is not base64: a receiver hands it to the library as raw bytes.
    expect(libraryVerdict(new Webhook(secret, { format: "raw" }), delivery.rawBody, delivery.headers)).toBeNull();
    const now = Math.floor(Date.now() / 1000);
    expect(await verifySignature(secret, delivery.headers["apex-signature"] ?? null, delivery.rawBody, now)).toEqual({
      valid: true,
    });
  });

  it("the API says which endpoints still get the legacy header", async () => {
    const owner = await signUpTenant("hooks-legacy-read");
    const { endpoint } = await legacyEndpoint(owner);
    const read = await request(`/api/v1/webhook-endpoints/${endpoint.id}`, { headers: owner.auth });
    expect((await read.json<Endpoint>()).signatureScheme).toBe("legacy+standard");
  });
});

describe("the legacy Apex-Signature (deprecated)", () => {
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
