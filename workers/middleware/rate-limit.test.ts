import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono, type MiddlewareHandler } from "hono";
import { describe, expect, it } from "vitest";
import { signUpTenant } from "../../test/tenants";
import type { AppEnv } from "../context";
import { authenticate } from "./authenticate";
import { database } from "./database";
import { onError } from "./problems";
import { limitByIp } from "./rate-limit";
import { requestId } from "./request-id";

async function call(limit: MiddlewareHandler<AppEnv>[], headers: Record<string, string> = {}, vars: Partial<Env> = {}) {
  const app = new Hono<AppEnv>().use(requestId, database, ...limit).get("/", (c) => c.text("handled"));
  app.onError(onError);
  const ctx = createExecutionContext();
  const response = await app.request("/", { headers }, { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const randomIp = () => `198.51.100.${Math.floor(Math.random() * 250)}:${crypto.randomUUID().slice(0, 8)}`;

describe("rate limits", () => {
  it("refuses: guessing credentials from one IP past its budget — 429 with Retry-After; another IP still passes", async () => {
    const guesser = { "cf-connecting-ip": randomIp() };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await call([limitByIp], guesser)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    const refused = await call([limitByIp], guesser);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call([limitByIp], { "cf-connecting-ip": randomIp() })).status).toBe(200);
  });

  it("refuses: one tenant's burst starving the others — past its bucket it gets 429 while another tenant passes", async () => {
    const slow = { TENANT_RATE_PER_SECOND: "0.5" }; // a bucket of 3, refilled every 2 s
    const [busy, other] = await Promise.all([signUpTenant("burst-busy"), signUpTenant("burst-other")]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call([authenticate], busy.auth, slow)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await call([authenticate], other.auth, slow)).status).toBe(200);
  });

  it("tells a caller within budget how much is left", async () => {
    const fresh = await signUpTenant("burst-fresh");
    const response = await call([authenticate], fresh.auth);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("ratelimit-limit"))).toBe(120);
    expect(Number(response.headers.get("ratelimit-remaining"))).toBe(119);
  });
});
