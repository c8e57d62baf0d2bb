/**
 * `npm run test:e2e`: end-to-end checks against the stack `npm run dev` runs
 * (same orchestrator, its own ports and state): the stack comes up from
 * nothing, reports healthy with Postgres reached through the relay, serves
 * the UI and the API from one Worker, and delivers signed webhooks to the
 * local receiver. API calls go through the typed client
 * (app/lib/api-client), as an integrator's would, so they are checked against
 * the OpenAPI at compile time. Browser tests (Chromium + playwright-core)
 * are in ./browser.ts.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { type ApexClient, createApexClient, idempotent } from "../app/lib/api-client/index.ts";
import { type Stack, startStack } from "../dev/stack.ts";
import { runBrowserChecks } from "./browser.ts";
import { answered, expect } from "./expect.ts";
import { huntCheck } from "./hunt.ts";
import { seoCheck } from "./seo.ts";

type Check = { name: string; run: (baseUrl: string, stack: Stack) => Promise<void> };

/** A fresh tenant through the typed client; the client it returns acts as its owner. */
async function signUp(baseUrl: string, label: string): Promise<{ apex: ApexClient; projectId: string; token: string }> {
  const signup = await createApexClient({ baseUrl }).POST("/api/v1/auth/signup", {
    body: {
      email: `e2e-${label}-${Date.now()}@example.com`,
      password: "a long enough password",
      name: "E2E",
      tenantName: `E2E ${label}`,
      projectName: "Main",
    },
  });
  const { accessToken, projectId } = answered("signup", signup, 201);
  return { apex: createApexClient({ baseUrl, token: accessToken }), projectId, token: accessToken };
}

const checks: Check[] = [
  {
    name: "GET /api/health answers 200 with postgres ok",
    async run(baseUrl) {
      const health = answered("health", await createApexClient({ baseUrl }).GET("/api/health"), 200);
      expect(health.postgres === "ok" && health.tenantObject === "ok", JSON.stringify(health));
    },
  },
  {
    name: "the log-in page is server-rendered by Remix in the same Worker",
    async run(baseUrl) {
      const response = await fetch(`${baseUrl}/login`);
      const html = await response.text();
      expect(response.status === 200 && html.includes("<h1>Apex</h1>"), `status ${response.status}`);
    },
  },
  {
    name: "the client bundle is served as a static asset",
    async run(baseUrl) {
      const html = await (await fetch(`${baseUrl}/login`)).text();
      const script = /"(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(Boolean(script), "the page references no /assets/*.js module");
      const response = await fetch(`${baseUrl}${script}`);
      expect(response.status === 200, `${script} answered ${response.status}`);
    },
  },
  {
    name: "sign up, create a lead with an Idempotency-Key, replay it, list it, and see it on the event log",
    async run(baseUrl) {
      const { apex, projectId } = await signUp(baseUrl, "plumbing");
      const create = () =>
        apex.POST("/api/v1/entities", {
          params: { header: idempotent("e2e-1") },
          body: { projectId, type: "lead", name: "Jane", data: { phone: "+15551234567" } },
        });
      const first = await create();
      const again = await create();
      const lead = answered("create", first, 201);
      expect(JSON.stringify(answered("the retry", again, 201)) === JSON.stringify(lead), "the replay differs");
      expect(again.response.headers.get("idempotent-replayed") === "true", "the retry was not a replay");
      const listed = answered(
        "lead listing",
        await apex.GET("/api/v1/entities", { params: { query: { type: "lead", projectId } } }),
        200,
      );
      expect(listed.items.length === 1 && listed.items[0]?.id === lead.id, JSON.stringify(listed));
      const page = answered(
        "poll",
        await apex.GET("/api/v1/realtime/poll", { params: { query: { channels: "entity:lead" } } }),
        200,
      );
      expect(page.events.length === 1 && page.events[0]?.type === "entity.created", JSON.stringify(page));
    },
  },
  {
    name: "a registered webhook endpoint receives a new lead, signed, and the receiver verifies it",
    async run(baseUrl, stack) {
      const { apex, projectId } = await signUp(baseUrl, "hooks");
      const name = `e2e-${Date.now()}`;
      const registered = await apex.POST("/api/v1/webhook-endpoints", {
        params: { header: idempotent() },
        body: { url: `${stack.webhookReceiverUrl}/hooks/${name}`, events: ["lead.created"] },
      });
      const { secret } = answered("register", registered, 201);
      await fetch(`${stack.webhookReceiverUrl}/_receivers/${name}`, {
        method: "PUT",
        body: JSON.stringify({ secret }),
      });
      answered(
        "create",
        await apex.POST("/api/v1/entities", { body: { projectId, type: "lead", name: "Hooked Hank" } }),
        201,
      );
      let received: { verified: boolean; eventType: string; rawBody: string; headers: Record<string, string> }[] = [];
      for (let i = 0; i < 100 && received.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        received = (
          (await (await fetch(`${stack.webhookReceiverUrl}/_receivers/${name}`)).json()) as {
            received: typeof received;
          }
        ).received;
      }
      expect(received.length === 1, `the receiver got ${received.length} deliveries`);
      expect(received[0]?.verified === true && received[0]?.eventType === "lead.created", JSON.stringify(received));
      // The off-the-shelf Standard Webhooks library alone decides: the delivery verifies,
      // a tampered body or a stale timestamp does not.
      const delivery = received[0] as (typeof received)[number];
      const webhook = new Webhook(secret);
      webhook.verify(delivery.rawBody, delivery.headers);
      const refuses = (body: string, headers: Record<string, string>) => {
        try {
          webhook.verify(body, headers);
          return false;
        } catch {
          return true;
        }
      };
      expect(refuses(`${delivery.rawBody} `, delivery.headers), "a tampered body verified");
      const stale = String(Math.floor(Date.now() / 1000) - 600);
      expect(
        refuses(delivery.rawBody, { ...delivery.headers, "webhook-timestamp": stale }),
        "a stale delivery verified",
      );
    },
  },
  {
    name: "a lead rings the owner, who presses 1; the call connects, is recorded, transcribed and analyzed (simulators)",
    async run(baseUrl, stack) {
      const { apex, projectId } = await signUp(baseUrl, "bridge");
      const project = { params: { path: { id: projectId } } };
      const current = await apex.GET("/api/v1/projects/{id}/speed-to-lead-settings", project);
      const settings = answered("settings", current, 200);
      const saved = await apex.PUT("/api/v1/projects/{id}/speed-to-lead-settings", {
        params: { path: { id: projectId }, header: { "if-match": current.response.headers.get("etag") ?? "" } },
        body: { ...settings, ownerPhone: "+15550100001", trackingNumber: "+15550100002" },
      });
      answered("saving the settings", saved, 200);
      // The form's token: generated by Apex and shown once, as the owner copies it into their form.
      const rotated = await apex.POST("/api/v1/projects/{id}/intake-secrets/{source}/rotate", {
        params: { path: { id: projectId, source: "form" } },
        body: {},
      });
      const { secret: formToken } = answered("form token rotation", rotated, 200);
      await fetch(`${stack.twilioSimulatorUrl}/_sim/phones/%2B15550100001`, {
        method: "PUT",
        body: JSON.stringify({ answer: "answer", press: "1", says: "Hi Jane, it's the plumber." }),
      });
      await fetch(`${stack.twilioSimulatorUrl}/_sim/phones/%2B15550100003`, {
        method: "PUT",
        body: JSON.stringify({ answer: "answer", says: "The pipe under the sink is leaking." }),
      });
      // As the lead's web form posts it: a lead source, not an API client, so plain fetch.
      const posted = await fetch(`${baseUrl}/webhooks/leads/form?project=${projectId}&token=${formToken}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Jane", phone: "+15550100003", message: "leaking pipe" }),
      });
      expect(posted.status === 200, `intake answered ${posted.status}: ${await posted.clone().text()}`);
      const { leadId } = (await posted.json()) as { leadId: string };
      const leadSystem = async () =>
        answered("the lead", await apex.GET("/api/v1/entities/{id}", { params: { path: { id: leadId } } }), 200).system;
      let bridge: { status?: string } | undefined;
      for (let i = 0; i < 150 && bridge?.status !== "connected"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        bridge = (await leadSystem()).bridge as typeof bridge;
      }
      expect(bridge?.status === "connected", `the bridge ended as ${JSON.stringify(bridge)}`);
      // Then the recording is stored, transcribed and analyzed (Gemini simulator).
      let analysis: { basis?: string } | undefined;
      for (let i = 0; i < 150 && !analysis; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        analysis = (await leadSystem()).analysis as typeof analysis;
      }
      expect(Boolean(analysis), "the call was never analyzed");
      // Read from what the two people said on the call, not from filler.
      expect(analysis?.basis === "transcript", `the analysis was read from ${analysis?.basis}`);
    },
  },
  {
    name: "the lead hunter finds exactly the matching posts once, with provenance and screenshots, alerts the owner of the hot ones, and adds nothing on a second run",
    async run(baseUrl, stack) {
      await huntCheck(baseUrl, stack, await signUp(baseUrl, "hunter"));
    },
  },
  {
    name: "pSEO: two services × three places become drafts in a real WordPress with JSON-LD, links and a map; approval publishes; a second run changes nothing",
    async run(baseUrl, stack) {
      await seoCheck(baseUrl, stack, await signUp(baseUrl, "seo"));
    },
  },
  {
    name: "an unknown API route is a problem+json 404",
    async run(baseUrl) {
      const response = await fetch(`${baseUrl}/api/v1/nope`);
      expect(response.status === 404, `status ${response.status}`);
      expect(response.headers.get("content-type") === "application/problem+json", "wrong content type");
    },
  },
];

const state = mkdtempSync(join(tmpdir(), "apex-e2e-"));
const started = Date.now();
const stack = await startStack({
  ports: {
    worker: 8987,
    inspector: 9430,
    relay: 8990,
    pglite: 5633,
    twilioSimulator: 8991,
    webhookReceiver: 8992,
    geminiSimulator: 8993,
    gigsBoard: 8994,
    tradesBoard: 8995,
    overpassSimulator: 8996,
    wordpress: 8997,
    searchConsoleSimulator: 8998,
  },
  databaseUrl: process.env.E2E_DATABASE_URL || undefined,
  persistTo: join(state, "wrangler"),
  reuseBuild: true,
  log: (component, line) => {
    if (component !== "worker" || process.env.E2E_WORKER_LOGS) console.log(`[${component}] ${line}`);
  },
});
console.log(`[e2e] stack healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);

let passed = 0;
let failed = 0;
try {
  for (const check of checks) {
    try {
      await check.run(stack.baseUrl, stack);
      passed++;
      console.log(`  ✓ ${check.name}`);
    } catch (error) {
      failed++;
      console.log(`  ✗ ${check.name}\n    ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log("browser (Chromium + playwright-core):");
  const browserOk = await runBrowserChecks(stack, (name, error) => {
    if (error === undefined) {
      passed++;
      console.log(`  ✓ ${name}`);
    } else {
      failed++;
      console.log(`  ✗ ${name}\n    ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  if (browserOk === undefined) {
    failed++;
    console.log("  ✗ Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; .ci/run does this)");
  }
} finally {
  await stack.stop();
  rmSync(state, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
