import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";

describe("GET /api/health", () => {
  it("answers 200 when Postgres and the tenant object both answer", async () => {
    const response = await request("/api/health");
    expect(response.status).toBe(200);
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: "ok", postgres: "ok", tenantObject: "ok", queue: "bound" });
  });

  it("reports integrations as configured or not without failing health", async () => {
    const body = await (await request("/api/health", {}, { TWILIO_ACCOUNT_SID: "", GEMINI_API_KEY: "" })).json<
      Record<string, unknown>
    >();
    expect(body).toMatchObject({ status: "ok", twilio: "not-configured", llm: "rules" });
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

describe("GET /api/ping", () => {
  it("answers without touching any dependency, even with Postgres gone", async () => {
    const response = await request("/api/ping", {}, { NEON_WS_PROXY: env.DEAD_WS_PROXY });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});
