import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { request } from "../../test/helpers";
import { apiKeyFor, jsonRequest, memberOf, signUpTenant, type TestTenant } from "../../test/tenants";
import type { AppEnv } from "../context";
import { authenticate } from "./authenticate";
import { database } from "./database";
import { onError } from "./problems";
import { requestId } from "./request-id";

/** The real middleware on a bare app: the handler answers with whom it was told is calling. */
async function call(headers: Record<string, string> = {}) {
  const app = new Hono<AppEnv>().use(requestId, database).get("/", authenticate, (c) => c.json(c.get("auth") ?? null));
  app.onError(onError);
  const ctx = createExecutionContext();
  const response = await app.request("/", { headers }, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("authenticate-middleware");
});

describe("authenticate", () => {
  it("names the caller of a valid access token: its tenant and role", async () => {
    const response = await call(tenant.auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: "jwt", tenantId: tenant.tenantId, role: "owner" });
  });

  it("names the role an API key holds, not its creator's", async () => {
    const response = await call(await apiKeyFor(tenant, "viewer"));
    expect(await response.json()).toMatchObject({ method: "api-key", tenantId: tenant.tenantId, role: "viewer" });
  });

  it("refuses: a request without a credential, before the handler runs", async () => {
    const response = await call();
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses: a forged access token and an unknown API key, with the same answer", async () => {
    const [header, , signature] = tenant.accessToken.split(".");
    const forged = `${header}.${btoa(JSON.stringify({ sub: tenant.userId, role: "owner" }))}.${signature}`;
    const unknownKey = `ak_${tenant.tenantId}_${"x".repeat(40)}`;
    for (const credential of [forged, unknownKey]) {
      const response = await call({ authorization: `Bearer ${credential}` });
      expect(response.status).toBe(401);
    }
  });

  it("refuses: a still-unexpired access token whose session logged out", async () => {
    const member = await memberOf(tenant, "member");
    expect((await call(member.auth)).status).toBe(200);
    const ip = { "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250)}` };
    const out = await request("/api/v1/auth/logout", jsonRequest("POST", { refreshToken: member.refreshToken }, ip));
    expect(out.status).toBe(204);
    expect((await call(member.auth)).status).toBe(401);
  });
});
