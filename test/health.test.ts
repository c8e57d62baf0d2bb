import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listModels, type Reachability } from "../workers/llm/reachability";
import { ProbeCache } from "../workers/services/probe-cache";
import { request } from "./helpers";

interface Health {
  status: string;
  twilio: string;
  llm: { provider: string; status: string };
  browser: string;
  errors?: Record<string, string>;
}

const health = async (overrides: Partial<Env> = {}) => {
  const response = await request("/api/health", {}, overrides);
  return { code: response.status, body: await response.json<Health>() };
};

/** An address nothing listens on. */
const deadAddress = `http://${env.DEAD_WS_PROXY}`;

/** A lane of the Gemini simulator (dev/simulators/gemini.ts) of this test's own: a fresh cache key, its own counter. */
async function geminiLane(delayMs = 0): Promise<{ baseUrl: string; requests(): Promise<string[]> }> {
  const lane = `${env.GEMINI_SIMULATOR_URL}/_sim/lanes/${crypto.randomUUID()}`;
  if (delayMs) await fetch(lane, { method: "PUT", body: JSON.stringify({ delayMs }) });
  return {
    baseUrl: lane,
    requests: async () => (await (await fetch(lane)).json<{ requests: string[] }>()).requests,
  };
}

describe("GET /api/health", () => {
  it("answers 200 when Postgres and the tenant object both answer", async () => {
    const response = await request("/api/health");
    expect(response.status).toBe(200);
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: "ok", postgres: "ok", tenantObject: "ok", queue: "bound" });
  });

  it("answers 503 naming Postgres when Postgres cannot be reached", async () => {
    const response = await request("/api/health", {}, { NEON_WS_PROXY: env.DEAD_WS_PROXY });
    expect(response.status).toBe(503);
    const body = await response.json<{ status: string; postgres: string; tenantObject: string; errors: object }>();
    expect(body.status).toBe("down");
    expect(body.postgres).toBe("down");
    expect(body.tenantObject).toBe("ok");
    expect(body.errors).toHaveProperty("postgres");
  });

  it("is never cached", async () => {
    const response = await request("/api/health");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

describe("GET /api/health: Twilio and the LLM", () => {
  it("reports both ok when the Twilio account and the Gemini model list answer", async () => {
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body).toMatchObject({ twilio: "ok", llm: { provider: "gemini", status: "ok" } });
    expect(body.errors).toBeUndefined();
  });

  it("reports an integration without credentials as not-configured, and the LLM as the rules", async () => {
    const { code, body } = await health({ TWILIO_ACCOUNT_SID: "", GEMINI_API_KEY: "" });
    expect(code).toBe(200);
    expect(body).toMatchObject({ twilio: "not-configured", llm: { provider: "rules", status: "not-configured" } });
  });

  it("reports both unreachable at a dead address, and health stays up", async () => {
    const { code, body } = await health({ TWILIO_API_BASE_URL: deadAddress, GEMINI_API_BASE_URL: deadAddress });
    expect(code).toBe(200);
    expect(body).toMatchObject({
      status: "ok",
      twilio: "unreachable",
      llm: { provider: "gemini", status: "unreachable" },
    });
    expect(body.errors).toMatchObject({ twilio: expect.any(String), llm: expect.any(String) });
  });

  it("reports refused credentials as refused, naming the status and never the answer's body", async () => {
    const { code, body } = await health({ TWILIO_AUTH_TOKEN: "wrong-token-0001", GEMINI_API_KEY: "wrong-key-0001" });
    expect(code).toBe(200);
    expect(body).toMatchObject({ twilio: "refused", llm: { status: "refused" } });
    expect(body.errors).toEqual({ twilio: "answered 401", llm: "answered 400" });
  });

  it("answers within the probe timeout when the model list does not answer, and says unreachable", async () => {
    const lane = await geminiLane(5_000);
    const started = Date.now();
    const { code, body } = await health({ GEMINI_API_BASE_URL: lane.baseUrl });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(code).toBe(200);
    expect(body.llm.status).toBe("unreachable");
    expect(body.errors?.llm).toBe("no answer within 1500 ms");
  });

  it("asks the model list once, however often health is asked within the minute", async () => {
    const lane = await geminiLane();
    for (let i = 0; i < 3; i++)
      expect((await health({ GEMINI_API_BASE_URL: lane.baseUrl })).body.llm.status).toBe("ok");
    expect(await lane.requests()).toEqual(["GET /v1beta/models"]);
  });

  it("does not wait for a provider that did not answer a moment ago", async () => {
    const lane = await geminiLane(5_000);
    await health({ GEMINI_API_BASE_URL: lane.baseUrl });
    const started = Date.now();
    const { body } = await health({ GEMINI_API_BASE_URL: lane.baseUrl });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(body.llm.status).toBe("unreachable");
    expect(await lane.requests()).toHaveLength(1);
  });
});

describe("the probe cache", () => {
  const counting = (answer: Reachability) => {
    const probe = async () => {
      probe.calls++;
      return answer;
    };
    probe.calls = 0;
    return probe;
  };

  it("keeps an ok answer for a minute", async () => {
    let now = 0;
    const cache = new ProbeCache(() => now);
    const probe = counting({ status: "ok" });
    await cache.get("k", probe);
    now = 59_000;
    await cache.get("k", probe);
    expect(probe.calls).toBe(1);
    now = 61_000;
    await cache.get("k", probe);
    expect(probe.calls).toBe(2);
  });

  it("keeps a failure for ten seconds only, so a fix shows quickly", async () => {
    let now = 0;
    const cache = new ProbeCache(() => now);
    const probe = counting({ status: "unreachable", reason: "answered 503" });
    await cache.get("k", probe);
    now = 9_000;
    await cache.get("k", probe);
    expect(probe.calls).toBe(1);
    now = 11_000;
    await cache.get("k", probe);
    expect(probe.calls).toBe(2);
  });

  it("probes each configuration on its own", async () => {
    const cache = new ProbeCache(() => 0);
    const probe = counting({ status: "ok" });
    await cache.get("one address", probe);
    await cache.get("another address", probe);
    expect(probe.calls).toBe(2);
  });
});

describe("the model-list probe of an OpenAI-compatible provider", () => {
  const options = { timeoutMs: 1_500, appEnv: "test" };

  it("is ok when {base}/models answers with the key", async () => {
    const baseUrl = `${env.GEMINI_SIMULATOR_URL}/openai/v1`;
    expect(await listModels({ provider: "openai", apiKey: "sim-gemini-key", baseUrl }, options)).toEqual({
      status: "ok",
    });
  });

  it("is refused when the endpoint turns the key away", async () => {
    const baseUrl = `${env.GEMINI_SIMULATOR_URL}/openai/v1`;
    expect(await listModels({ provider: "openai", apiKey: "sk-wrong-key", baseUrl }, options)).toEqual({
      status: "refused",
      reason: "answered 401",
    });
  });
});

describe("GET /api/ping", () => {
  it("answers without touching any dependency, even with Postgres gone", async () => {
    const response = await request("/api/ping", {}, { NEON_WS_PROXY: env.DEAD_WS_PROXY });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});
