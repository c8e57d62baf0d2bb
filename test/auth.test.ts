import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("auth");
});

const ip = (n: number) => ({ "cf-connecting-ip": `192.0.2.${n}` });
const keys = () => JSON.parse(env.JWT_SIGNING_KEYS ?? "[]") as { kid: string; secret: string }[];
const secretOf = (k: { secret: string }) =>
  Uint8Array.from(atob(k.secret.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function token(
  overrides: { kid?: string; secret?: Uint8Array; aud?: string; iss?: string; exp?: number; nbf?: number } = {},
) {
  const [first] = keys();
  const now = Math.floor(Date.now() / 1000);
  // A fresh session id and the membership version a new owner has (0): what a real token carries.
  return new SignJWT({ tid: tenant.tenantId, role: "owner", sid: crypto.randomUUID(), mv: 0 })
    .setProtectedHeader({ alg: "HS256", kid: overrides.kid ?? first?.kid ?? "" })
    .setSubject(tenant.userId)
    .setIssuer(overrides.iss ?? "apex")
    .setAudience(overrides.aud ?? "apex-api")
    .setIssuedAt(now)
    .setNotBefore(overrides.nbf ?? now)
    .setExpirationTime(overrides.exp ?? now + 600)
    .sign(overrides.secret ?? secretOf(first as { secret: string }));
}

const listWith = (bearer: string) => request("/api/v1/entities", { headers: { authorization: `Bearer ${bearer}` } });

describe("signup and login", () => {
  it("signup returns tokens that open the API", async () => {
    expect((await listWith(tenant.accessToken)).status).toBe(200);
  });

  it("a second signup with the same email is a 409 naming the email field", async () => {
    const response = await request(
      "/api/v1/auth/signup",
      jsonRequest(
        "POST",
        {
          email: tenant.email.toUpperCase(),
          password: "another long password",
          name: "X",
          tenantName: "X",
          projectName: "X",
        },
        ip(1),
      ),
    );
    expect(response.status).toBe(409);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("email");
  });

  it("two signups racing with one email make one account; the other is a 409, not a 500", async () => {
    const email = `race-${crypto.randomUUID()}@example.com`;
    const attempt = (n: number) =>
      request(
        "/api/v1/auth/signup",
        jsonRequest(
          "POST",
          { email, password: "a long enough password", name: "R", tenantName: `R${n}`, projectName: "R" },
          ip(40 + n),
        ),
      );
    const statuses = (await Promise.all([1, 2, 3, 4].map(attempt))).map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
  });

  it("bad signup input is a 422 naming each field and creates no account", async () => {
    const email = `bad-${crypto.randomUUID()}@example.com`;
    const response = await request(
      "/api/v1/auth/signup",
      jsonRequest("POST", { email, password: "short", name: "", tenantName: "T", projectName: "P" }, ip(2)),
    );
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const fields = (await response.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["password", "name"]));
    const login = await request("/api/v1/auth/login", jsonRequest("POST", { email, password: "short" }, ip(2)));
    expect(login.status).toBe(401);
  });

  it("login with the right password returns fresh tokens", async () => {
    const response = await request(
      "/api/v1/auth/login",
      jsonRequest("POST", { email: tenant.email, password: tenant.password }, ip(3)),
    );
    expect(response.status).toBe(200);
    const body = await response.json<{ accessToken: string; tenantId: string }>();
    expect(body.tenantId).toBe(tenant.tenantId);
    expect((await listWith(body.accessToken)).status).toBe(200);
  });

  it("login with a wrong password is a 401 problem", async () => {
    const response = await request(
      "/api/v1/auth/login",
      jsonRequest("POST", { email: tenant.email, password: "wrong password!!" }, ip(4)),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("credential routes are rate limited per client IP with Retry-After", async () => {
    const attempt = () =>
      request("/api/v1/auth/login", jsonRequest("POST", { email: "nobody@example.com", password: "x" }, ip(99)));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("refresh tokens", () => {
  it("rotate: the new pair works and the old refresh token is spent", async () => {
    const own = await signUpTenant("refresh");
    const first = await request("/api/v1/auth/refresh", jsonRequest("POST", { refreshToken: own.refreshToken }, ip(5)));
    expect(first.status).toBe(200);
    const rotated = await first.json<{ accessToken: string; refreshToken: string }>();
    expect(rotated.refreshToken).not.toBe(own.refreshToken);
    expect((await listWith(rotated.accessToken)).status).toBe(200);
  });

  it("reusing a rotated token revokes the whole family", async () => {
    const own = await signUpTenant("reuse");
    const first = await request("/api/v1/auth/refresh", jsonRequest("POST", { refreshToken: own.refreshToken }, ip(6)));
    const rotated = await first.json<{ refreshToken: string }>();
    const reuse = await request("/api/v1/auth/refresh", jsonRequest("POST", { refreshToken: own.refreshToken }, ip(6)));
    expect(reuse.status).toBe(401);
    const successor = await request(
      "/api/v1/auth/refresh",
      jsonRequest("POST", { refreshToken: rotated.refreshToken }, ip(6)),
    );
    expect(successor.status).toBe(401);
  });

  it("logout revokes the refresh token", async () => {
    const own = await signUpTenant("logout");
    const out = await request("/api/v1/auth/logout", jsonRequest("POST", { refreshToken: own.refreshToken }, ip(7)));
    expect(out.status).toBe(204);
    const after = await request("/api/v1/auth/refresh", jsonRequest("POST", { refreshToken: own.refreshToken }, ip(7)));
    expect(after.status).toBe(401);
  });
});

describe("access tokens", () => {
  it("a token signed by the second live key (rotation) is accepted", async () => {
    const second = keys()[1] as { kid: string; secret: string };
    expect((await listWith(await token({ kid: second.kid, secret: secretOf(second) }))).status).toBe(200);
  });

  const refused: [string, () => Promise<string>][] = [
    [
      "a tampered payload",
      async () => {
        const [h, , s] = (await token()).split(".");
        const forged = btoa(
          JSON.stringify({
            sub: tenant.userId,
            tid: tenant.tenantId,
            role: "owner",
            iss: "apex",
            aud: "apex-api",
            exp: 9999999999,
          }),
        ).replace(/=+$/, "");
        return `${h}.${forged}.${s}`;
      },
    ],
    ["an expired token", () => token({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ["a token not valid yet", () => token({ nbf: Math.floor(Date.now() / 1000) + 3600 })],
    [
      "alg: none",
      async () => {
        const enc = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
        const now = Math.floor(Date.now() / 1000);
        return `${enc({ alg: "none", kid: keys()[0]?.kid })}.${enc({ sub: tenant.userId, tid: tenant.tenantId, role: "owner", iss: "apex", aud: "apex-api", iat: now, nbf: now, exp: now + 600 })}.`;
      },
    ],
    ["a wrong audience", () => token({ aud: "someone-else" })],
    ["a wrong issuer", () => token({ iss: "evil" })],
    ["an unknown kid", () => token({ kid: "not-a-key" })],
    ["a known kid with another secret", () => token({ secret: crypto.getRandomValues(new Uint8Array(32)) })],
  ];

  for (const [name, make] of refused) {
    it(`refuses ${name} with a 401 problem`, async () => {
      const response = await listWith(await make());
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
    });
  }

  it("no credentials at all is a 401", async () => {
    expect((await request("/api/v1/entities")).status).toBe(401);
  });
});
