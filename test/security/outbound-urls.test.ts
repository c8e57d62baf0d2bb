import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { openAiProvider } from "../../workers/llm/providers/openai";
import { fetchOutbound, OutboundStatusError } from "../../workers/outbound/fetch";
import { Problem } from "../../workers/problems";
import { updateEndpointIfVersion } from "../../workers/repositories/webhooks";
import { request } from "../helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "../tenants";
import { settledTicket } from "../tickets";

/**
 * Issue #11 item 5: every URL a tenant hands Apex goes through one policy
 * (workers/outbound/url-policy.ts); fetches re-check redirects and never echo
 * a failed answer's body. The receiver's /answer/{status} route stands in for
 * an internal page: its body carries CANARY.
 */
const CANARY = "AKIA-OUTBOUND-CANARY";
const receiver = env.WEBHOOK_RECEIVER_URL;
const port = new URL(receiver).port;
/** The receiver through a name the policy refuses even in tests, though it resolves to loopback. */
const internalPage = `http://localhost.:${port}/answer/200`;
const answer = (status: number, location?: string) =>
  `${receiver}/answer/${status}${location ? `?location=${encodeURIComponent(location)}` : ""}`;

/** Refused in every environment, the test one included. */
const INTERNAL_URLS = [
  "http://169.254.169.254/latest/meta-data/",
  "http://metadata.google.internal./computeMetadata/v1/",
  "http://metadata/computeMetadata/v1/",
  "http://kubernetes.default.svc/api",
  `http://localtest.me:${port}/hooks/x`,
  `http://localhost.:${port}/hooks/x`,
  "http://100.64.0.1/",
  "http://[::ffff:127.0.0.1]/",
];
const PRODUCTION = { APP_ENV: "production" } as Partial<Env>;

type FieldErrors = { errors: { field: string; message: string }[] };

const fieldsOf = async (response: Response) => (await response.json<FieldErrors>()).errors.map((error) => error.field);

const startOnboarding = (owner: TestTenant, websiteUrl?: string) =>
  request(
    "/api/v1/tasks/onboarding",
    jsonRequest(
      "POST",
      { params: { projectId: owner.projectId, businessName: "Pat's Plumbing", ...(websiteUrl ? { websiteUrl } : {}) } },
      owner.auth,
    ),
  );

describe("webhook endpoints", () => {
  it("refuses: registering an endpoint aimed at metadata, special-use names, CGNAT or a mapped loopback", async () => {
    const owner = await signUpTenant("ssrf-hooks");
    for (const url of INTERNAL_URLS) {
      const response = await request(
        "/api/v1/webhook-endpoints",
        jsonRequest("POST", { url, events: ["lead.created"] }, owner.auth),
      );
      expect(response.status, url).toBe(422);
      expect(await fieldsOf(response), url).toEqual(["url"]);
    }
  });

  it("refuses: in production, loopback spelled as a trailing-dot name, a decimal or hex IPv4, or plain http", async () => {
    const owner = await signUpTenant("ssrf-hooks-prod");
    for (const url of [
      "https://localhost./hooks",
      "https://2130706433/hooks",
      "https://0x7f.1/hooks",
      "https://198.18.0.1/",
      "https://224.0.0.1/",
      "https://255.255.255.255/",
      "https://instance-data/latest/",
      "https://hooks.example.com:8443/",
      "http://hooks.example.com/",
    ]) {
      const response = await request(
        "/api/v1/webhook-endpoints",
        jsonRequest("POST", { url, events: ["lead.created"] }, owner.auth),
        PRODUCTION,
      );
      expect(response.status, url).toBe(422);
      expect(await fieldsOf(response), url).toEqual(["url"]);
    }
  });

  it("refuses: moving an existing endpoint to cloud metadata with PATCH", async () => {
    const owner = await signUpTenant("ssrf-hooks-patch");
    const created = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url: "https://hooks.example.com/apex", events: ["lead.created"] }, owner.auth),
    );
    const { id } = await created.json<{ id: string }>();
    const moved = await request(
      `/api/v1/webhook-endpoints/${id}`,
      jsonRequest("PATCH", { url: "http://169.254.169.254/latest/" }, { ...owner.auth, "if-match": '"1"' }),
    );
    expect(moved.status).toBe(422);
    expect(await fieldsOf(moved)).toEqual(["url"]);
  });

  it("refuses: delivering to a stored URL the policy refuses (saved under an older rule), once and without reaching it", async () => {
    const owner = await signUpTenant("ssrf-hooks-send");
    const name = crypto.randomUUID();
    const created = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url: `${receiver}/hooks/${name}`, events: ["lead.created"] }, owner.auth),
    );
    const endpoint = await created.json<{ id: string; secret: string }>();
    await fetch(`${receiver}/_receivers/${name}`, { method: "PUT", body: JSON.stringify({ secret: endpoint.secret }) });
    // The row as an older, looser rule would have let it be saved: the same receiver through `localhost.`.
    const handle = openDatabase(env);
    try {
      await withTenant(handle.db, owner.tenantId, (tx) =>
        updateEndpointIfVersion(tx, endpoint.id, 1, { url: `http://localhost.:${port}/hooks/${name}` }),
      );
    } finally {
      await handle.close();
    }
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Rita Rebind" }, owner.auth),
    );
    const delivery = await vi.waitFor(
      async () => {
        const log = await (
          await request(`/api/v1/webhook-endpoints/${endpoint.id}/deliveries`, { headers: owner.auth })
        ).json<{ items: { status: string; attempts: { statusCode: number | null; error: string | null }[] }[] }>();
        expect(log.items[0]?.status).toBe("failed");
        return log.items[0];
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ statusCode: null, error: expect.stringContaining("url: must be a public host") }),
    ]);
    const received = await (await fetch(`${receiver}/_receivers/${name}`)).json<{ received: unknown[] }>();
    expect(received.received).toEqual([]);
  });
});

describe("LLM settings", () => {
  it("refuses: an OpenAI-compatible base URL on cloud metadata or a special-use name", async () => {
    const owner = await signUpTenant("ssrf-llm");
    for (const baseUrl of INTERNAL_URLS) {
      const response = await request(
        "/api/v1/settings/llm",
        jsonRequest("PUT", { provider: "openai", baseUrl, apiKey: "sk-0123456789" }, owner.auth),
      );
      expect(response.status, baseUrl).toBe(422);
      expect(await fieldsOf(response), baseUrl).toEqual(["baseUrl"]);
    }
    const loopback = await request(
      "/api/v1/settings/llm",
      jsonRequest("PUT", { provider: "openai", baseUrl: "https://127.1/v1", apiKey: "sk-0123456789" }, owner.auth),
      PRODUCTION,
    );
    expect(loopback.status).toBe(422);
    expect(await fieldsOf(loopback)).toEqual(["baseUrl"]);
  });

  it("refuses: an OpenAI-compatible endpoint's error page echoed into the error", async () => {
    const provider = openAiProvider({ apiKey: "sk-0123456789", baseUrl: answer(400), appEnv: "test" });
    const failure = await provider.generate({ task: "lead_scorer", model: "m", prompt: "hi" }).catch((e) => e);
    expect(failure).toBeInstanceOf(OutboundStatusError);
    expect(String(failure.message)).toContain("answered 400");
    expect(String(failure.message)).not.toContain(CANARY);
  });

  it("refuses: an OpenAI-compatible endpoint redirecting the call (and the tenant's key) elsewhere", async () => {
    const provider = openAiProvider({ apiKey: "sk-0123456789", baseUrl: answer(307, internalPage), appEnv: "test" });
    const failure = await provider.generate({ task: "lead_scorer", model: "m", prompt: "hi" }).catch((e) => e);
    expect(String(failure.message)).toContain("answered 307");
  });

  it("refuses: a tenant's OpenAI-compatible error page in the onboarding ticket", async () => {
    const owner = await signUpTenant("ssrf-llm-ticket");
    const saved = await request(
      "/api/v1/settings/llm",
      jsonRequest("PUT", { provider: "openai", baseUrl: answer(400), apiKey: "sk-0123456789" }, owner.auth),
    );
    expect(saved.status).toBe(200);
    const started = await startOnboarding(owner);
    const { id } = await started.json<{ id: string }>();
    const reported = await vi.waitFor(
      async () => {
        const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<{
          message: string;
          error: string | null;
        }>();
        const text = `${ticket.message} ${ticket.error ?? ""}`;
        expect(text).toContain("answered 400");
        return text;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(reported).not.toContain(CANARY);
    // An outside service's 400 is a refusal: the ticket fails on its first attempt, it is not retried.
    const ticket = await settledTicket(owner, id);
    expect(ticket.status).toBe("failed");
    expect(ticket.attempts).toBe(1);
    expect(`${ticket.message} ${ticket.error}`).toContain("answered 400");
    expect(`${ticket.message} ${ticket.error}`).not.toContain(CANARY);
  });
});

describe("onboarding", () => {
  it("refuses: starting onboarding with a website on cloud metadata, a 422 naming the field", async () => {
    const owner = await signUpTenant("ssrf-onboarding");
    for (const websiteUrl of INTERNAL_URLS) {
      const response = await startOnboarding(owner, websiteUrl);
      expect(response.status, websiteUrl).toBe(422);
      expect(await fieldsOf(response), websiteUrl).toEqual(["params.websiteUrl"]);
    }
  });

  it("refuses: following the website's redirect to an internal page; the ticket fails without the page", async () => {
    const owner = await signUpTenant("ssrf-onboarding-redirect");
    const started = await startOnboarding(owner, answer(302, internalPage));
    expect(started.status).toBe(202);
    const ticket = await settledTicket(owner, (await started.json<{ id: string }>()).id);
    expect(ticket.status).toBe("failed");
    expect(ticket.error).toContain("params.websiteUrl: must be a public host (after redirect 1)");
    expect(`${ticket.message} ${ticket.error}`).not.toContain(CANARY);
  });
});

describe("fetchOutbound", () => {
  const options = { appEnv: "test", field: "url", what: "the site" };

  it("refuses: a redirect chain that ends on cloud metadata, checked at every hop", async () => {
    const chain = answer(302, answer(301, "http://169.254.169.254/latest/meta-data/"));
    const failure = await fetchOutbound(chain, {}, { ...options, maxRedirects: 5 }).catch((e) => e);
    expect(failure).toBeInstanceOf(Problem);
    expect(failure.errors).toEqual([{ field: "url", message: "must be a public host (after redirect 2)" }]);
  });

  it("refuses: more redirects than allowed; the last 3xx is a failure by status", async () => {
    const chain = answer(302, answer(302, answer(302, answer(200))));
    const failure = await fetchOutbound(chain, {}, { ...options, maxRedirects: 2 }).catch((e) => e);
    expect(failure).toBeInstanceOf(OutboundStatusError);
    expect(failure.status).toBe(302);
  });

  it("refuses: in production, a public-looking name whose DNS answers a private address", async () => {
    const resolved: string[] = [];
    const failure = await fetchOutbound(
      "https://hooks.example.com/x",
      {},
      {
        ...options,
        appEnv: "production",
        resolveHost: async (hostname) => {
          resolved.push(hostname);
          return ["93.184.215.14", "10.0.0.7"];
        },
      },
    ).catch((e) => e);
    expect(resolved).toEqual(["hooks.example.com"]);
    expect(failure).toBeInstanceOf(Problem);
    expect(failure.errors).toEqual([{ field: "url", message: "must resolve to public addresses only" }]);
  });

  it("a failed answer is described by its status, never its body", async () => {
    const failure = await fetchOutbound(answer(500), {}, options).catch((e) => e);
    expect(failure).toBeInstanceOf(OutboundStatusError);
    expect(failure.message).toBe("the site answered 500");
  });
});
