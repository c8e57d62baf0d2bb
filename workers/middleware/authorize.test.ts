import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { apiKeyFor, memberOf, signUpTenant, type TestTenant } from "../../test/tenants";
import type { AppEnv } from "../context";
import { setMemberRole } from "../repositories/members";
import { authenticate } from "./authenticate";
import { authorize } from "./authorize";
import { database } from "./database";
import type { RoutePolicy } from "./policy";
import { onError } from "./problems";
import { requestId } from "./request-id";

/** The real middleware on a bare app, with or without authentication in front of it. */
async function call(policy: RoutePolicy, headers: Record<string, string>, authenticated = true) {
  const chain = authenticated ? [authenticate, authorize(policy)] : [authorize(policy)];
  const app = new Hono<AppEnv>().use(requestId, database, ...chain).get("/", (c) => c.json(c.get("auth") ?? null));
  app.onError(onError);
  const ctx = createExecutionContext();
  const response = await app.request("/", { headers }, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("authorize-middleware");
});

describe("authorize", () => {
  it("admits a caller holding the route's least role, and one above it", async () => {
    const memberRoute: RoutePolicy = { risk: "WRITE-LOW", role: "member" };
    expect((await call(memberRoute, await apiKeyFor(tenant, "member"))).status).toBe(200);
    expect((await call(memberRoute, tenant.auth)).status).toBe(200);
  });

  it("refuses: a viewer on a member route — 403 naming both roles", async () => {
    const response = await call({ risk: "READ", role: "member" }, await apiKeyFor(tenant, "viewer"));
    expect(response.status).toBe(403);
    expect((await response.json<{ detail: string }>()).detail).toBe(
      "This action needs the member role; the caller is viewer.",
    );
  });

  it("refuses: a demoted admin's token on a WRITE-HIGH route, where the role is read again from Postgres", async () => {
    const admin = await memberOf(tenant, "admin");
    const handle = openDatabase(env);
    try {
      // Straight in Postgres, so the token's membership version still looks current.
      await withTenant(handle.db, tenant.tenantId, (tx) => setMemberRole(tx, admin.userId, "viewer"));
    } finally {
      await handle.close();
    }
    expect((await call({ risk: "READ", role: "admin" }, admin.auth)).status).toBe(200);
    const response = await call({ risk: "WRITE-HIGH", role: "admin" }, admin.auth);
    expect(response.status).toBe(403);
    expect((await response.json<{ detail: string }>()).detail).toContain("the caller is viewer");
  });

  it("refuses: authorize mounted without authentication — 401, nobody is assumed", async () => {
    expect((await call({ risk: "READ", role: "viewer" }, tenant.auth, false)).status).toBe(401);
  });

  it("refuses: a policy naming no known role — it admits nobody, not even the owner", async () => {
    expect((await call({ risk: "READ", role: "public" }, tenant.auth)).status).toBe(403);
  });
});
