import { env } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { insertEntityType } from "../../workers/repositories/entity-types";
import { cleanText, findBadText } from "../../workers/text/unicode";
import { request } from "../helpers";
import { formTokenFor, setIntakeSecret } from "../intake-secrets";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "../tenants";
import { testPhone } from "../twilio";

/**
 * Issue #11, items 7, 8 and 12: what an outsider or one tenant can send to
 * starve, stall or crash the service for others — refused, each named for
 * the attack.
 */
const GOOGLE_KEY = "google-key-for-intake-security";

async function tenantTakingLeads(label: string): Promise<TestTenant & { formToken: string }> {
  const tenant = await signUpTenant(label);
  const path = `/api/v1/projects/${tenant.projectId}/voice-settings`;
  const current = await request(path, { headers: tenant.auth });
  const saved = await request(
    path,
    jsonRequest(
      "PUT",
      { ownerPhone: testPhone(), trackingNumber: testPhone() },
      { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
    ),
  );
  if (saved.status !== 200) throw new Error(`voice settings: ${saved.status} ${await saved.text()}`);
  const formToken = await formTokenFor(tenant);
  await setIntakeSecret(tenant, "google-ads", GOOGLE_KEY);
  return { ...tenant, formToken };
}

/** A genuine Google Ads test lead: verified, stored, and (being a test) never dialled. */
const googleLead = (tenant: TestTenant, ip: string, fields: { name?: string; phone?: string } = {}) =>
  request(
    `/webhooks/leads/google-ads?project=${tenant.projectId}`,
    jsonRequest(
      "POST",
      {
        lead_id: `TeSt-${crypto.randomUUID()}`,
        google_key: GOOGLE_KEY,
        is_test: true,
        user_column_data: [
          { column_id: "FULL_NAME", string_value: fields.name ?? "Genuine Gina" },
          { column_id: "PHONE_NUMBER", string_value: fields.phone ?? testPhone() },
        ],
      },
      { "cf-connecting-ip": ip },
    ),
  );

const wrongTokenLead = (tenant: TestTenant, ip: string) =>
  request(
    `/webhooks/leads/form?project=${tenant.projectId}&token=guess-${crypto.randomUUID()}`,
    jsonRequest("POST", { name: "Spam", phone: testPhone() }, { "cf-connecting-ip": ip }),
  );

/** Runs `count` calls of `task`, at most `concurrency` at a time. */
async function inPool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function leadCount(tenant: TestTenant): Promise<number> {
  const page = await (await request("/api/v1/entities?type=lead&limit=200", { headers: tenant.auth })).json<{
    items: unknown[];
  }>();
  return page.items.length;
}

const fieldsOf = async (response: Response) =>
  ((await response.json()) as { errors?: { field: string }[] }).errors?.map((e) => e.field) ?? [];

const randomIp = () => `203.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

describe("lead intake budget (item 7)", () => {
  it("refuses: 200 wrong-token intakes at concurrency 20 spending the project's budget and starving genuine leads", async () => {
    const tenant = await tenantTakingLeads("intake-starve");
    // Spread over 100 addresses, as a botnet would: no address runs out of its own budget.
    const [flood, genuine] = await Promise.all([
      inPool(200, 20, async (i) => (await wrongTokenLead(tenant, `198.18.7.${i % 100}`)).status),
      inPool(17, 1, async () => (await googleLead(tenant, randomIp())).status),
    ]);
    expect(genuine).toEqual(Array(17).fill(200));
    expect(new Set(flood)).toEqual(new Set([401]));
    // The project's bucket paid for the genuine leads only. Refill adds 10 a second, far
    // less than the 200 a flood charged to it would take away in the few seconds this runs.
    const project = await env.TENANT.getByName(tenant.tenantId).peekRateToken(`intake:${tenant.projectId}`, {
      capacity: 600,
      refillPerSecond: 10,
    });
    expect(project.remaining).toBeGreaterThanOrEqual(600 - 17);
  });

  it("refuses: an unverified flood from one address going on unanswered — it is cut off with 429 per source IP", async () => {
    const tenant = await tenantTakingLeads("intake-ip-budget");
    const attacker = randomIp();
    const statuses = await inPool(40, 5, async () => (await wrongTokenLead(tenant, attacker)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.at(-1)).toBe(429);
    const cutOff = await wrongTokenLead(tenant, attacker);
    expect(cutOff.status).toBe(429);
    expect(cutOff.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(cutOff.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another address is judged on its own: its wrong token is a 401, its genuine lead a 200.
    expect((await wrongTokenLead(tenant, randomIp())).status).toBe(401);
    expect((await googleLead(tenant, randomIp())).status).toBe(200);
  });

  it("refuses: probing unknown projects to spend someone's budget — those refusals are charged to the prober's IP", async () => {
    const prober = randomIp();
    const statuses = await inPool(30, 5, async () => {
      const response = await request(
        `/webhooks/leads/form?project=${crypto.randomUUID()}&token=whatever-token`,
        jsonRequest("POST", { name: "Probe", phone: testPhone() }, { "cf-connecting-ip": prober }),
      );
      return response.status;
    });
    expect(statuses[0]).toBe(404);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("tenant patterns (item 8)", () => {
  const defineType = (tenant: TestTenant, name: string, jsonSchema: Record<string, unknown>) =>
    request("/api/v1/entity-types", jsonRequest("POST", { name, jsonSchema }, tenant.auth));

  const createOf = (tenant: TestTenant, type: string, data: Record<string, unknown>) =>
    request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type, name: "x", data }, tenant.auth),
    );

  it("refuses: a pattern like ^(a+)+$ stalling every tenant — it is matched in linear time, so 28 characters answer at once", async () => {
    const tenant = await signUpTenant("pattern-nested");
    const other = await signUpTenant("pattern-bystander");
    const defined = await defineType(tenant, "gadget", {
      type: "object",
      properties: { code: { type: "string", pattern: "^(a+)+$" } },
    });
    expect(defined.status).toBe(201);
    const started = Date.now();
    const [evil, bystander] = await Promise.all([
      createOf(tenant, "gadget", { code: `${"a".repeat(28)}!` }),
      request("/api/v1/entities?limit=1", { headers: other.auth }),
    ]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(evil.status).toBe(422);
    expect(await fieldsOf(evil)).toEqual(["data.code"]);
    expect(bystander.status).toBe(200);
    expect((await createOf(tenant, "gadget", { code: "aaaa" })).status).toBe(201);
  });

  it("refuses: patterns that cannot run in linear time (backreference, lookaround, huge repeats) — 422 naming the pattern", async () => {
    const tenant = await signUpTenant("pattern-refused");
    for (const pattern of ["^(a)\\1+$", "^(?=a)(a+)+$", "^(?<!b)a$", `^a{0,5000}$`, "x".repeat(300)]) {
      const response = await defineType(tenant, `refused_${crypto.randomUUID().slice(0, 8)}`, {
        type: "object",
        properties: { code: { type: "string", pattern } },
      });
      expect(response.status, pattern).toBe(422);
      expect(await fieldsOf(response)).toEqual(["jsonSchema.properties.code.pattern"]);
    }
  });

  it("refuses: patterns hidden where their value has no fixed path (anyOf, patternProperties) — refused, not run", async () => {
    const tenant = await signUpTenant("pattern-hidden");
    const underAnyOf = await defineType(tenant, "hidden_any", {
      anyOf: [{ type: "string", pattern: "^(a+)+$" }, { type: "object" }],
    });
    expect(underAnyOf.status).toBe(422);
    expect(await fieldsOf(underAnyOf)).toEqual(["jsonSchema.anyOf.0.pattern"]);
    const onKeys = await defineType(tenant, "hidden_keys", {
      type: "object",
      patternProperties: { "^(a+)+$": { type: "string" } },
    });
    expect(onKeys.status).toBe(422);
    expect(await fieldsOf(onKeys)).toEqual(["jsonSchema.patternProperties"]);
  });

  it("refuses: a stored type with a catastrophic pattern (saved before the check) being run — writes are refused at once", async () => {
    const tenant = await signUpTenant("pattern-stored");
    const handle = openDatabase(env);
    try {
      await withTenant(handle.db, tenant.tenantId, (tx) =>
        insertEntityType(tx, {
          tenantId: tenant.tenantId,
          name: "legacy",
          description: "",
          jsonSchema: { type: "object", properties: { code: { type: "string", pattern: "^(?=a)(a+)+$" } } },
        }),
      );
    } finally {
      await handle.close();
    }
    const started = Date.now();
    const response = await createOf(tenant, "legacy", { code: `${"a".repeat(28)}!` });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(422);
    expect(await fieldsOf(response)).toEqual(["data"]);
  });

  it("refuses: a 20,000-character value under a pattern — capped, so one request's matching stays bounded", async () => {
    const tenant = await signUpTenant("pattern-long");
    await defineType(tenant, "sku", { type: "object", properties: { code: { type: "string", pattern: "^[a-z]+$" } } });
    const response = await createOf(tenant, "sku", { code: "a".repeat(20_000) });
    expect(response.status).toBe(422);
    expect(await fieldsOf(response)).toEqual(["data.code"]);
  });
});

describe("text Postgres cannot store (item 12)", () => {
  it("finds NUL bytes and lone surrogates by path, keys included, and cleans them for text we must accept", () => {
    expect(findBadText({ a: ["ok", "b\u0000"], c: { "k\ud800": 1 }, d: "\ud83d\ude00" }, ["data"])).toEqual([
      { field: "data.a.1", message: "contains a NUL byte (U+0000)" },
      { field: "data.c.k\ufffd", message: "its key contains a lone UTF-16 surrogate (not valid Unicode)" },
    ]);
    expect(cleanText("a\u0000b\ud800c\udc00\ud83d\ude00")).toBe("ab\ufffdc\ufffd\ud83d\ude00");
  });

  it("refuses: a NUL byte in an intake field answering 500 — 422 naming the field, no lead stored", async () => {
    const tenant = await tenantTakingLeads("intake-nul");
    const ip = { "cf-connecting-ip": randomIp() };
    const json = await request(
      `/webhooks/leads/form?project=${tenant.projectId}&token=${tenant.formToken}`,
      jsonRequest("POST", { name: "Nul\u0000Name", phone: testPhone() }, ip),
    );
    expect(json.status).toBe(422);
    expect(json.headers.get("content-type")).toContain("application/problem+json");
    expect(await fieldsOf(json)).toEqual(["name"]);
    const form = await request(`/webhooks/leads/form?project=${tenant.projectId}&token=${tenant.formToken}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...ip },
      body: `name=Form&phone=5552223333&message=hi%00there`,
    });
    expect(form.status).toBe(422);
    expect(await fieldsOf(form)).toEqual(["message"]);
    const google = await googleLead(tenant, randomIp(), { name: "Lone \ud800 Surrogate" });
    expect(google.status).toBe(422);
    expect(await fieldsOf(google)).toEqual(["user_column_data.0.string_value"]);
    expect(await leadCount(tenant)).toBe(0);
  });

  it("refuses: NUL bytes and lone surrogates in entity name and data answering 500 — 422 naming the JSON path, nothing written", async () => {
    const tenant = await signUpTenant("entity-bad-text");
    const post = (body: Record<string, unknown>) =>
      request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: tenant.projectId, type: "lead", ...body }, tenant.auth),
      );
    const badName = await post({ name: "Nul\u0000" });
    expect(badName.status).toBe(422);
    expect(await fieldsOf(badName)).toEqual(["name"]);
    const badData = await post({ name: "Fine", data: { notes: ["ok", "half \udc00 a pair"] } });
    expect(badData.status).toBe(422);
    expect(await fieldsOf(badData)).toEqual(["data.notes.1"]);
    expect(await leadCount(tenant)).toBe(0);

    const created = await (await post({ name: "Fine" })).json<{ id: string; version: number }>();
    const patched = await request(
      `/api/v1/entities/${created.id}`,
      jsonRequest("PATCH", { data: { deep: { er: "x\u0000" } } }, { ...tenant.auth, "if-match": '"1"' }),
    );
    expect(patched.status).toBe(422);
    expect(await fieldsOf(patched)).toEqual(["data.deep.er"]);
    const read = await (await request(`/api/v1/entities/${created.id}`, { headers: tenant.auth })).json<{
      version: number;
    }>();
    expect(read.version).toBe(1);
  });

  it("refuses: a NUL byte in a query filter answering 500 — 422 naming the parameter", async () => {
    const tenant = await signUpTenant("query-bad-text");
    const response = await request("/api/v1/entities?status=%00", { headers: tenant.auth });
    expect(response.status).toBe(422);
    expect(await fieldsOf(response)).toEqual(["status"]);
  });
});

describe("a customer's text with bytes Postgres refuses", () => {
  // (A lone surrogate cannot arrive here: form encoding is UTF-8, which has no way to carry one.)
  it("refuses: a NUL byte in an inbound SMS failing Twilio's webhook — stored cleaned, answered 200", async () => {
    const tenant = await tenantTakingLeads("sms-bytes");
    const url = `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${tenant.projectId}`;
    const params = {
      From: testPhone(),
      To: testPhone(),
      Body: "need a plumber\u0000 today",
      MessageSid: `SM${crypto.randomUUID().replaceAll("-", "")}`,
    };
    const response = await request(`/webhooks/twilio/sms?project=${tenant.projectId}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio.getExpectedTwilioSignature(env.TWILIO_AUTH_TOKEN ?? "", url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(200);
    const messages = await (await request("/api/v1/entities?type=message", { headers: tenant.auth })).json<{
      items: { data: { body: string } }[];
    }>();
    expect(messages.items.map((m) => m.data.body)).toEqual(["need a plumber today"]);
  });
});

describe("input shaped to crash a query or a walk", () => {
  it("refuses: entity data nested 20,000 levels deep overflowing the stack — 422 naming where it goes too deep", async () => {
    const tenant = await signUpTenant("deep-json");
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const response = await request("/api/v1/entities", {
      method: "POST",
      headers: { ...tenant.auth, "content-type": "application/json" },
      body: `{"projectId":"${tenant.projectId}","type":"lead","name":"Deep","data":{"x":${deep}}}`,
    });
    expect(response.status).toBe(422);
    expect((await fieldsOf(response))[0]).toMatch(/^data\.x(\.0)+$/);
  });

  it("refuses: forged list cursors (a bad id, a date past year 9999, a huge audit id) answering 500 — 422 naming cursor", async () => {
    const tenant = await signUpTenant("forged-cursor");
    const forged = [
      btoa(JSON.stringify(["2020-01-01T00:00:00.000Z", "not-a-uuid"])),
      btoa(JSON.stringify(["+275760-09-13T00:00:00.000Z", crypto.randomUUID()])),
    ];
    for (const cursor of forged) {
      const response = await request(`/api/v1/entities?cursor=${encodeURIComponent(cursor)}`, { headers: tenant.auth });
      expect(response.status).toBe(422);
      expect(await fieldsOf(response)).toEqual(["cursor"]);
    }
    const audit = await request("/api/v1/audit?cursor=9999999999999999999999", { headers: tenant.auth });
    expect(audit.status).toBe(422);
    expect(await fieldsOf(audit)).toEqual(["cursor"]);
  });

  it("refuses: a member logging a billion voice minutes to pause the project — log_usage needs an admin", async () => {
    const tenant = await signUpTenant("log-usage-member");
    const member = await apiKeyFor(tenant, "member");
    const response = await request(
      "/api/v1/tasks/log_usage",
      jsonRequest(
        "POST",
        { params: { projectId: tenant.projectId, resource: "voice_minute", quantity: 1_000_000_000 } },
        member,
      ),
    );
    expect(response.status).toBe(403);
  });
});
