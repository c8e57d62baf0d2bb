/**
 * Issue #11 item 6: a role change, a removal or a logout takes effect at
 * once, not when the 15-minute access token expires (decision 012).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { setMemberRole } from "../../workers/repositories/members";
import { request } from "../helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "../tenants";

let owner: TestTenant;
let otherTenant: TestTenant;
beforeAll(async () => {
  owner = await signUpTenant("stale-roles");
  otherTenant = await signUpTenant("stale-roles-other");
});

const ip = () => ({ "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250)}` });
const remove = (userId: string) => request(`/api/v1/members/${userId}`, { method: "DELETE", headers: owner.auth });
const demote = (userId: string, role: string) =>
  request(`/api/v1/members/${userId}`, jsonRequest("PATCH", { role }, owner.auth));
const mintKey = (headers: Record<string, string>, role = "admin") =>
  request("/api/v1/api-keys", jsonRequest("POST", { name: "door", role }, headers));
const read = (headers: Record<string, string>) => request("/api/v1/entities", { headers });

async function keyOf(response: Response): Promise<Record<string, string>> {
  expect(response.status).toBe(201);
  return { authorization: `Bearer ${(await response.json<{ key: string }>()).key}` };
}

describe("stale roles", () => {
  it("refuses: a removed admin's still-valid token minting an admin API key, or reading", async () => {
    const keyCount = async () =>
      (await (await request("/api/v1/api-keys", { headers: owner.auth })).json<{ items: unknown[] }>()).items.length;
    const admin = await memberOf(owner, "admin");
    expect((await read(admin.auth)).status).toBe(200);
    const before = await keyCount();
    expect((await remove(admin.userId)).status).toBe(204);
    expect((await mintKey(admin.auth)).status).toBe(401);
    expect((await read(admin.auth)).status).toBe(401);
    expect(await keyCount()).toBe(before);
  });

  it("refuses: an API key minted by an admin who is later removed", async () => {
    const admin = await memberOf(owner, "admin");
    const key = await keyOf(await mintKey(admin.auth));
    expect((await read(key)).status).toBe(200);
    expect((await remove(admin.userId)).status).toBe(204);
    expect((await read(key)).status).toBe(401);
    expect((await mintKey(key, "viewer")).status).toBe(401);
  });

  it("refuses: an admin key whose creator was demoted to member", async () => {
    const admin = await memberOf(owner, "admin");
    const adminKey = await keyOf(await mintKey(admin.auth));
    const memberKey = await keyOf(await mintKey(admin.auth, "member"));
    expect((await demote(admin.userId, "member")).status).toBe(200);
    expect((await read(adminKey)).status).toBe(401);
    // A key within the creator's new role keeps working.
    expect((await read(memberKey)).status).toBe(200);
    const listed = await (await request("/api/v1/api-keys", { headers: owner.auth })).json<{
      items: { role: string; revokedAt: string | null }[];
    }>();
    expect(listed.items.find((k) => k.role === "admin")?.revokedAt).not.toBeNull();
  });

  it("refuses: a key minted by another key, once the person behind both is removed", async () => {
    const admin = await memberOf(owner, "admin");
    const first = await keyOf(await mintKey(admin.auth));
    const second = await keyOf(await mintKey(first));
    expect((await remove(admin.userId)).status).toBe(204);
    expect((await read(second)).status).toBe(401);
  });

  it("refuses: a demoted admin's old token inviting an admin", async () => {
    const admin = await memberOf(owner, "admin");
    expect((await demote(admin.userId, "viewer")).status).toBe(200);
    const invite = await request(
      "/api/v1/invitations",
      jsonRequest("POST", { email: `second-admin-${crypto.randomUUID()}@example.com`, role: "admin" }, admin.auth),
    );
    expect(invite.status).toBe(401);
    // A refresh picks up the new role: the viewer reads, and still cannot invite.
    const refreshed = await request(
      "/api/v1/auth/refresh",
      jsonRequest("POST", { refreshToken: admin.refreshToken }, ip()),
    );
    const tokens = await refreshed.json<{ accessToken: string; role: string }>();
    expect(tokens.role).toBe("viewer");
    const viewer = { authorization: `Bearer ${tokens.accessToken}` };
    expect((await read(viewer)).status).toBe(200);
    const again = await request(
      "/api/v1/invitations",
      jsonRequest("POST", { email: `third-admin-${crypto.randomUUID()}@example.com`, role: "admin" }, viewer),
    );
    expect(again.status).toBe(403);
  });

  it("refuses: a WRITE-HIGH action by a demoted admin even when only Postgres knows of the demotion", async () => {
    // The demotion bypasses the members service, as if its tenant-object call had been lost:
    // the token still passes the object's version check, so only the WRITE-HIGH re-read stops it.
    const admin = await memberOf(owner, "admin");
    const handle = openDatabase(env);
    try {
      await withTenant(handle.db, owner.tenantId, (tx) => setMemberRole(tx, admin.userId, "viewer"));
    } finally {
      await handle.close();
    }
    expect((await read(admin.auth)).status).toBe(200);
    expect((await mintKey(admin.auth, "viewer")).status).toBe(403);
  });

  it("refuses: an access token after its session logged out", async () => {
    const member = await memberOf(owner, "member");
    expect((await read(member.auth)).status).toBe(200);
    const out = await request("/api/v1/auth/logout", jsonRequest("POST", { refreshToken: member.refreshToken }, ip()));
    expect(out.status).toBe(204);
    expect((await read(member.auth)).status).toBe(401);
    // Another session of the same person is untouched.
    const login = await request(
      "/api/v1/auth/login",
      jsonRequest("POST", { email: member.email, password: member.password, tenantId: owner.tenantId }, ip()),
    );
    const fresh = await login.json<{ accessToken: string }>();
    expect((await read({ authorization: `Bearer ${fresh.accessToken}` })).status).toBe(200);
  });

  it("refuses: access tokens of a refresh family whose token was reused (leaked)", async () => {
    const member = await memberOf(owner, "member");
    const rotated = await request(
      "/api/v1/auth/refresh",
      jsonRequest("POST", { refreshToken: member.refreshToken }, ip()),
    );
    const next = await rotated.json<{ accessToken: string }>();
    const reuse = await request(
      "/api/v1/auth/refresh",
      jsonRequest("POST", { refreshToken: member.refreshToken }, ip()),
    );
    expect(reuse.status).toBe(401);
    expect((await read({ authorization: `Bearer ${next.accessToken}` })).status).toBe(401);
  });

  it("refuses: a removed member's open WebSocket staying open", async () => {
    const member = await memberOf(owner, "member");
    const response = await request("/api/v1/realtime", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${member.accessToken}` },
    });
    expect(response.status).toBe(101);
    const socket = response.webSocket as WebSocket;
    const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
    socket.accept();
    expect((await remove(member.userId)).status).toBe(204);
    expect(await closed).toBe(4001);
  });

  it("leaves other tenants alone: removing a member elsewhere does not touch this tenant's sessions", async () => {
    const admin = await memberOf(otherTenant, "admin");
    const mine = await memberOf(owner, "member");
    expect(
      (await request(`/api/v1/members/${admin.userId}`, { method: "DELETE", headers: otherTenant.auth })).status,
    ).toBe(204);
    expect((await read(mine.auth)).status).toBe(200);
    expect((await read(owner.auth)).status).toBe(200);
    // And another tenant's owner cannot remove this tenant's member.
    expect(
      (await request(`/api/v1/members/${mine.userId}`, { method: "DELETE", headers: otherTenant.auth })).status,
    ).toBe(404);
    expect((await read(mine.auth)).status).toBe(200);
  });
});
