/**
 * `npm run test:e2e`: end-to-end checks against the stack `npm run dev` runs
 * (same orchestrator, its own ports and state): the stack comes up from
 * nothing, reports healthy with Postgres reached through the relay, serves
 * the UI and the API from one Worker, and delivers signed webhooks to the
 * local receiver. Browser tests (Chromium +
 * playwright-core) join here with the web-app issue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Stack, startStack } from "../dev/stack.ts";
import { runBrowserChecks } from "./browser.ts";

type Check = { name: string; run: (baseUrl: string, stack: Stack) => Promise<void> };

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const checks: Check[] = [
  {
    name: "GET /api/health answers 200 with postgres ok",
    async run(baseUrl) {
      const response = await fetch(`${baseUrl}/api/health`);
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.status === 200, `status ${response.status}: ${JSON.stringify(body)}`);
      expect(body.postgres === "ok" && body.tenantObject === "ok", JSON.stringify(body));
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
    name: "sign up, create a lead with an Idempotency-Key, replay it, and see it on the event log",
    async run(baseUrl) {
      const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `e2e-${Date.now()}@example.com`,
          password: "a long enough password",
          name: "E2E",
          tenantName: "E2E Plumbing",
          projectName: "Main",
        }),
      });
      expect(signup.status === 201, `signup answered ${signup.status}: ${await signup.clone().text()}`);
      const { accessToken, projectId } = (await signup.json()) as { accessToken: string; projectId: string };
      const headers = {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        "idempotency-key": "e2e-1",
      };
      const body = JSON.stringify({ projectId, type: "lead", name: "Jane", data: { phone: "+15551234567" } });
      const first = await fetch(`${baseUrl}/api/v1/entities`, { method: "POST", headers, body });
      const again = await fetch(`${baseUrl}/api/v1/entities`, { method: "POST", headers, body });
      expect(first.status === 201 && again.status === 201, `create answered ${first.status} then ${again.status}`);
      expect(again.headers.get("idempotent-replayed") === "true", "the retry was not a replay");
      expect((await first.text()) === (await again.text()), "the replay differs from the original");
      const events = await fetch(`${baseUrl}/api/v1/realtime/poll?channels=entity:lead`, { headers });
      const page = (await events.json()) as { events: { type: string }[] };
      expect(page.events.length === 1 && page.events[0]?.type === "entity.created", JSON.stringify(page));
    },
  },
  {
    name: "a registered webhook endpoint receives a new lead, signed, and the receiver verifies it",
    async run(baseUrl, stack) {
      const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `e2e-hooks-${Date.now()}@example.com`,
          password: "a long enough password",
          name: "E2E",
          tenantName: "E2E Hooks",
          projectName: "Main",
        }),
      });
      const { accessToken, projectId } = (await signup.json()) as { accessToken: string; projectId: string };
      const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
      const name = `e2e-${Date.now()}`;
      const registered = await fetch(`${baseUrl}/api/v1/webhook-endpoints`, {
        method: "POST",
        headers,
        body: JSON.stringify({ url: `${stack.webhookReceiverUrl}/hooks/${name}`, events: ["lead.created"] }),
      });
      expect(registered.status === 201, `register answered ${registered.status}`);
      const { secret } = (await registered.json()) as { secret: string };
      await fetch(`${stack.webhookReceiverUrl}/_receivers/${name}`, {
        method: "PUT",
        body: JSON.stringify({ secret }),
      });
      await fetch(`${baseUrl}/api/v1/entities`, {
        method: "POST",
        headers,
        body: JSON.stringify({ projectId, type: "lead", name: "Hooked Hank" }),
      });
      let received: { verified: boolean; eventType: string }[] = [];
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
    },
  },
  {
    name: "a lead rings the owner, who presses 1; the call connects, is recorded, transcribed and analyzed (simulators)",
    async run(baseUrl, stack) {
      const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `e2e-bridge-${Date.now()}@example.com`,
          password: "a long enough password",
          name: "E2E",
          tenantName: "E2E Bridge",
          projectName: "Main",
        }),
      });
      const { accessToken, projectId } = (await signup.json()) as { accessToken: string; projectId: string };
      const auth = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
      const settingsUrl = `${baseUrl}/api/v1/projects/${projectId}/voice-settings`;
      const etag = (await fetch(settingsUrl, { headers: auth })).headers.get("etag") ?? "";
      const saved = await fetch(settingsUrl, {
        method: "PUT",
        headers: { ...auth, "if-match": etag },
        body: JSON.stringify({ ownerPhone: "+15550100001", trackingNumber: "+15550100002" }),
      });
      expect(saved.status === 200, `voice settings answered ${saved.status}`);
      // The form's token: generated by Apex and shown once, as the owner copies it into their form.
      const rotated = await fetch(`${baseUrl}/api/v1/projects/${projectId}/intake-secrets/form/rotate`, {
        method: "POST",
        headers: auth,
        body: "{}",
      });
      expect(rotated.status === 200, `form token rotation answered ${rotated.status}`);
      const { secret: formToken } = (await rotated.json()) as { secret: string };
      await fetch(`${stack.twilioSimulatorUrl}/_sim/phones/%2B15550100001`, {
        method: "PUT",
        body: JSON.stringify({ answer: "answer", press: "1" }),
      });
      const posted = await fetch(`${baseUrl}/webhooks/leads/form?project=${projectId}&token=${formToken}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Jane", phone: "+15550100003", message: "leaking pipe" }),
      });
      expect(posted.status === 200, `intake answered ${posted.status}: ${await posted.clone().text()}`);
      const { leadId } = (await posted.json()) as { leadId: string };
      let bridge: { status?: string } | undefined;
      for (let i = 0; i < 150 && bridge?.status !== "connected"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const lead = (await (await fetch(`${baseUrl}/api/v1/entities/${leadId}`, { headers: auth })).json()) as {
          system: { bridge?: { status?: string } };
        };
        bridge = lead.system.bridge;
      }
      expect(bridge?.status === "connected", `the bridge ended as ${JSON.stringify(bridge)}`);
      // Then the recording is stored, transcribed and analyzed (Gemini simulator).
      let analysis: unknown;
      for (let i = 0; i < 150 && !analysis; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const lead = (await (await fetch(`${baseUrl}/api/v1/entities/${leadId}`, { headers: auth })).json()) as {
          system: { analysis?: unknown };
        };
        analysis = lead.system.analysis;
      }
      expect(Boolean(analysis), "the call was never analyzed");
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
