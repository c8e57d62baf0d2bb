import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { request } from "../helpers";
import { setIntakeSecret } from "../intake-secrets";
import { apiKeyFor, jsonRequest, memberOf, signUpTenant, type TestTenant } from "../tenants";

/**
 * Issue #13 item 4, "done when": no secret value appears in any API answer
 * to a non-admin, any audit row, log line, event or webhook payload. Each
 * lead source gets a planted secret (a value the test chose, set through the
 * rotate route); then the tenant lives a little — leads arrive with the
 * secrets, settings change, secrets rotate and are removed — while every
 * surface is recorded. Each test greps one surface for the planted values.
 */
const tag = crypto.randomUUID().replaceAll("-", "");
const PLANTED = {
  form: `PLANTEDFORM${tag}`,
  wordpress: `PLANTEDWORDPRESS${tag}`,
  "google-ads": `PLANTEDGOOGLE${tag}`,
} as const;

/** Everything recorded while the tenant lived, by surface. */
const seen = {
  logLines: [] as string[],
  nonAdminAnswers: [] as { what: string; text: string }[],
  laterAdminAnswers: [] as { what: string; text: string }[],
  auditRows: [] as string[],
  events: [] as string[],
  socketFrames: [] as string[],
  webhookPayloads: [] as string[],
  postgresRows: [] as { table: string; row: string }[],
};

const plantedIn = (text: string) => Object.values(PLANTED).filter((secret) => text.includes(secret));

let owner: TestTenant;
const LEAD_NAMES = ["Query Quinn", "Bearer Bea", "Wendy Press", "Gary Google"];

async function wireWebhookReceiver(): Promise<string> {
  const name = crypto.randomUUID();
  const created = await request(
    "/api/v1/webhook-endpoints",
    jsonRequest("POST", { url: `${env.WEBHOOK_RECEIVER_URL}/hooks/${name}`, events: ["*"] }, owner.auth),
  );
  const { secret } = await created.json<{ secret: string }>();
  await fetch(`${env.WEBHOOK_RECEIVER_URL}/_receivers/${name}`, { method: "PUT", body: JSON.stringify({ secret }) });
  return name;
}

async function openSocket(token: string, channels: string[]): Promise<WebSocket> {
  const response = await request("/api/v1/realtime", {
    headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${token}` },
  });
  const socket = response.webSocket as WebSocket;
  socket.accept();
  socket.addEventListener("message", (event) => seen.socketFrames.push(String(event.data)));
  socket.send(JSON.stringify({ type: "subscribe", channels, cursor: 0 }));
  return socket;
}

/** Leads from every source, each proving itself with its planted secret, in every place the source may carry it. */
async function leadsArrive(): Promise<string[]> {
  const project = owner.projectId;
  const posts = [
    request(
      `/webhooks/leads/form?project=${project}&token=${PLANTED.form}`,
      jsonRequest("POST", { name: "Query Quinn", email: `quinn-${tag}@example.com` }, {}),
    ),
    request(
      `/webhooks/leads/form?project=${project}`,
      jsonRequest(
        "POST",
        { name: "Bearer Bea", email: `bea-${tag}@example.com` },
        { authorization: `Bearer ${PLANTED.form}` },
      ),
    ),
    request(`/webhooks/leads/wordpress?project=${project}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-apex-secret": PLANTED.wordpress },
      body: new URLSearchParams({ "your-name": "Wendy Press", "your-email": `wendy-${tag}@example.com` }).toString(),
    }),
    request(
      `/webhooks/leads/google-ads?project=${project}`,
      jsonRequest(
        "POST",
        {
          lead_id: `lead-${tag}`,
          google_key: PLANTED["google-ads"],
          is_test: true,
          user_column_data: [
            { column_id: "FULL_NAME", string_value: "Gary Google" },
            { column_id: "EMAIL", string_value: `gary-${tag}@example.com` },
          ],
        },
        {},
      ),
    ),
  ];
  const answers = await Promise.all(posts);
  const bodies = await Promise.all(answers.map((a) => a.text()));
  expect(answers.map((a, i) => [a.status, bodies[i]]).filter(([status]) => status !== 200)).toEqual([]);
  // A wrong proof is refused, and its refusal carries nothing either.
  const refused = await request(
    `/webhooks/leads/form?project=${project}&token=${PLANTED.wordpress}`,
    jsonRequest("POST", { name: "Wrong Proof", email: `wrong-${tag}@example.com` }, {}),
  );
  expect(refused.status).toBe(401);
  seen.nonAdminAnswers.push(...bodies.map((text, i) => ({ what: `intake ${i}`, text })), {
    what: "refused intake",
    text: await refused.text(),
  });
  return bodies.map((text) => (JSON.parse(text) as { leadId: string }).leadId);
}

/** Settings change, secrets rotate (with a replayed Idempotency-Key) and one is removed. */
async function ownerChangesThings(): Promise<void> {
  const voice = `/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
  const current = await request(voice, { headers: owner.auth });
  const changed = await request(
    voice,
    jsonRequest(
      "PUT",
      { whisperTemplate: "Lead from {source}: {name}. Press 1." },
      { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
    ),
  );
  expect(changed.status).toBe(200);
  const rotate = () =>
    request(
      `/api/v1/projects/${owner.projectId}/intake-secrets/wordpress/rotate`,
      jsonRequest("POST", {}, { ...owner.auth, "idempotency-key": `rotate-${tag}` }),
    );
  const [first, replay] = [await rotate(), await rotate()];
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect((await first.json<{ secret: string }>()).secret).toBe((await replay.json<{ secret: string }>()).secret);
  const gone = await request(`/api/v1/projects/${owner.projectId}/intake-secrets/google-ads`, {
    method: "DELETE",
    headers: owner.auth,
  });
  expect(gone.status).toBe(204);
}

/** What a member and a viewer can read, through every route that might carry it; and an admin, after the reveal. */
async function everyoneReads(leadIds: string[]): Promise<void> {
  const member = await memberOf(owner, "member");
  const readers = {
    member: member.auth,
    "member key": await apiKeyFor(owner, "member"),
    viewer: (await memberOf(owner, "viewer")).auth,
  };
  const project = `/api/v1/projects/${owner.projectId}`;
  const paths = [
    `${project}/dna`,
    `${project}/dna?layer=custom`,
    `${project}/dna?layer=generated`,
    `${project}/speed-to-lead-settings`,
    `${project}/intake-secrets`,
    `${project}/usage`,
    "/api/v1/projects",
    "/api/v1/dashboard",
    "/api/v1/entities?type=lead",
    "/api/v1/tickets",
    "/api/v1/audit",
    "/api/v1/webhook-endpoints",
    "/api/v1/realtime/poll?channels=entity:*,lead:*,ticket:*&cursor=0",
    ...leadIds.map((id) => `/api/v1/entities/${id}`),
  ];
  for (const [who, headers] of Object.entries(readers)) {
    for (const path of paths) {
      const text = await (await request(path, { headers })).text();
      seen.nonAdminAnswers.push({ what: `${who} GET ${path}`, text });
    }
  }
  const admin = await apiKeyFor(owner, "admin");
  for (const path of [`${project}/intake-secrets`, `${project}/dna`, `${project}/speed-to-lead-settings`]) {
    seen.laterAdminAnswers.push({
      what: `admin GET ${path}`,
      text: await (await request(path, { headers: admin })).text(),
    });
  }
}

async function readAuditLog(): Promise<void> {
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; nextCursor: string | null } = await (
      await request(`/api/v1/audit?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { headers: owner.auth })
    ).json();
    seen.auditRows.push(...page.items.map((item) => JSON.stringify(item)));
    cursor = page.nextCursor;
  } while (cursor);
}

async function readEventLog(): Promise<void> {
  const channels = "ticket:*,entity:*,call:*,lead:*,project:*,webhook:*";
  let cursor = 0;
  for (;;) {
    const page = await (
      await request(`/api/v1/realtime/poll?channels=${encodeURIComponent(channels)}&cursor=${cursor}`, {
        headers: owner.auth,
      })
    ).json<{ events: { seq: number }[]; cursor: number }>();
    seen.events.push(...page.events.map((event) => JSON.stringify(event)));
    if (page.events.length === 0 || page.cursor === cursor) return;
    cursor = page.cursor;
  }
}

/** Every row of every table this tenant's transactions may read, as JSON text: the secret is sealed or absent. */
async function readTenantRows(): Promise<void> {
  const handle = openDatabase(env);
  try {
    const tables = await withTenant(handle.db, owner.tenantId, async (tx) => {
      const result = await tx.execute(
        sql`select distinct table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id'`,
      );
      return result.rows.map((row) => String((row as { table_name: string }).table_name));
    });
    for (const table of tables) {
      // One transaction a table: a table the application role may not read ends only its own.
      const rows = await withTenant(handle.db, owner.tenantId, async (tx) => {
        const result = await tx.execute(sql`select row_to_json(t)::text as row from ${sql.identifier(table)} t`);
        return result.rows.map((row) => String((row as { row: string }).row));
      }).catch(() => []);
      seen.postgresRows.push(...rows.map((row) => ({ table, row })));
    }
  } finally {
    await handle.close();
  }
}

describe("a planted intake secret", () => {
  let socket: WebSocket;
  let receiver: string;

  beforeAll(async () => {
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        seen.logLines.push(args.map(String).join(" "));
      });
    }
    owner = await signUpTenant("planted");
    receiver = await wireWebhookReceiver();
    const member = await memberOf(owner, "member");
    socket = await openSocket(member.accessToken, ["entity:*", "lead:*", "ticket:*", "call:*", "project:*"]);
    for (const [source, value] of Object.entries(PLANTED)) {
      expect(await setIntakeSecret(owner, source as keyof typeof PLANTED, value)).toBe(value);
    }
    const leadIds = await leadsArrive();
    await ownerChangesThings();
    // Every lead's webhooks have gone out (the endpoint takes every event type).
    await vi.waitFor(
      async () => {
        const answer = await fetch(`${env.WEBHOOK_RECEIVER_URL}/_receivers/${receiver}`);
        const { received } = await answer.json<{ received: { eventType: string }[] }>();
        const payloads = received.map((r) => JSON.stringify(r));
        const waiting = LEAD_NAMES.filter(
          (name) => !payloads.some((p) => p.includes("lead.created") && p.includes(name)),
        );
        if (waiting.length > 0) throw new Error(`no lead.created delivered yet for ${waiting.join(", ")}`);
        seen.webhookPayloads.splice(0, Infinity, ...payloads);
      },
      { timeout: 20_000, interval: 200 },
    );
    await everyoneReads(leadIds);
    await readAuditLog();
    await readEventLog();
    await readTenantRows();
  }, 90_000);

  afterAll(() => {
    socket?.close(1000, "done");
    vi.restoreAllMocks();
  });

  it("refuses: a member or viewer finding it in any API answer", () => {
    expect(seen.nonAdminAnswers.length).toBeGreaterThan(40);
    expect(seen.nonAdminAnswers.filter((a) => plantedIn(a.text).length > 0).map((a) => a.what)).toEqual([]);
  });

  it("refuses: an admin reading it back after the answer that set it", () => {
    expect(seen.laterAdminAnswers.some((a) => a.text.includes(`…${PLANTED.form.slice(-4)}`))).toBe(true);
    expect(seen.laterAdminAnswers.filter((a) => plantedIn(a.text).length > 0).map((a) => a.what)).toEqual([]);
  });

  it("refuses: copying it into an audit row — rotations are recorded by hint", () => {
    expect(seen.auditRows.some((row) => row.includes("intake_secret.rotate"))).toBe(true);
    expect(seen.auditRows.some((row) => row.includes("intake_secret.revoke"))).toBe(true);
    expect(seen.auditRows.some((row) => row.includes("dna.custom.update"))).toBe(true);
    expect(seen.auditRows.filter((row) => plantedIn(row).length > 0)).toEqual([]);
  });

  it("refuses: publishing it in an event, on the log or on a member's socket", async () => {
    for (const name of LEAD_NAMES) {
      expect(seen.events.some((event) => event.includes(name))).toBe(true);
      await vi.waitFor(() => expect(seen.socketFrames.some((frame) => frame.includes(name))).toBe(true));
    }
    expect([...seen.events, ...seen.socketFrames].filter((text) => plantedIn(text).length > 0)).toEqual([]);
  });

  it("refuses: sending it in a webhook payload", () => {
    for (const name of LEAD_NAMES) expect(seen.webhookPayloads.some((payload) => payload.includes(name))).toBe(true);
    expect(seen.webhookPayloads.filter((payload) => plantedIn(payload).length > 0)).toEqual([]);
  });

  it("refuses: writing it in a log line", () => {
    // The capture works: the intake's access-log lines are in it, and the queue consumer's (same isolate in tests).
    expect(seen.logLines.some((line) => line.includes("/webhooks/leads/form"))).toBe(true);
    expect(seen.logLines.some((line) => line.includes("webhook event dispatched"))).toBe(true);
    expect(seen.logLines.filter((line) => plantedIn(line).length > 0)).toEqual([]);
  });

  it("refuses: keeping it in clear in any Postgres row of the tenant — sealed in intake_secrets, nowhere else", () => {
    const tables = new Set(seen.postgresRows.map((r) => r.table));
    for (const table of ["intake_secrets", "audit_log", "dna_layers", "entities", "idempotency_effects"]) {
      expect(tables).toContain(table);
    }
    expect(seen.postgresRows.filter((r) => plantedIn(r.row).length > 0).map((r) => r.table)).toEqual([]);
  });
});
