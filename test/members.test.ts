import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let owner: TestTenant;
beforeAll(async () => {
  owner = await signUpTenant("members");
});

const ip = { "cf-connecting-ip": "198.51.100.7" };

async function inviteAndAccept(email: string, role: string, password = "a long enough password") {
  const invited = await request("/api/v1/invitations", jsonRequest("POST", { email, role }, owner.auth));
  expect(invited.status).toBe(201);
  const { token } = await invited.json<{ token: string }>();
  const accepted = await request(
    "/api/v1/auth/accept-invitation",
    jsonRequest("POST", { token, name: "Invitee", password }, ip),
  );
  return { token, accepted };
}

describe("members and invitations", () => {
  it("an invited person joins with the invited role and can log in", async () => {
    const email = `tech-${crypto.randomUUID()}@example.com`;
    const { accepted } = await inviteAndAccept(email, "member");
    expect(accepted.status).toBe(200);
    const tokens = await accepted.json<{ tenantId: string; role: string; accessToken: string }>();
    expect(tokens).toMatchObject({ tenantId: owner.tenantId, role: "member" });
    const list = await (await request("/api/v1/members", { headers: owner.auth })).json<{
      items: { email: string; role: string }[];
    }>();
    expect(list.items).toEqual(expect.arrayContaining([expect.objectContaining({ email, role: "member" })]));
  });

  it("an invitation works once", async () => {
    const { token } = await inviteAndAccept(`once-${crypto.randomUUID()}@example.com`, "viewer");
    const again = await request(
      "/api/v1/auth/accept-invitation",
      jsonRequest("POST", { token, name: "Again", password: "a long enough password" }, ip),
    );
    expect(again.status).toBe(401);
  });

  it("accepting for an email that has an account needs that account's password", async () => {
    const existing = await signUpTenant("existing-account");
    const { accepted } = await inviteAndAccept(existing.email, "member", "not the real password");
    expect(accepted.status).toBe(401);
  });

  it("an admin cannot invite an owner (403 naming role)", async () => {
    const admin = await apiKeyFor(owner, "admin");
    const response = await request(
      "/api/v1/invitations",
      jsonRequest("POST", { email: "boss@example.com", role: "owner" }, admin),
    );
    expect(response.status).toBe(403);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("role");
  });

  it("roles change, but the last owner cannot be demoted or removed", async () => {
    const email = `promote-${crypto.randomUUID()}@example.com`;
    const { accepted } = await inviteAndAccept(email, "viewer");
    const { userId } = await accepted.json<{ userId: string }>();
    const promoted = await request(`/api/v1/members/${userId}`, jsonRequest("PATCH", { role: "admin" }, owner.auth));
    expect(promoted.status).toBe(200);
    const demoteOwner = await request(
      `/api/v1/members/${owner.userId}`,
      jsonRequest("PATCH", { role: "member" }, owner.auth),
    );
    expect(demoteOwner.status).toBe(409);
    const removeOwner = await request(`/api/v1/members/${owner.userId}`, { method: "DELETE", headers: owner.auth });
    expect(removeOwner.status).toBe(409);
  });

  it("a removed member's API access ends with its refresh", async () => {
    const email = `leaver-${crypto.randomUUID()}@example.com`;
    const { accepted } = await inviteAndAccept(email, "member");
    const { userId, refreshToken } = await accepted.json<{ userId: string; refreshToken: string }>();
    expect((await request(`/api/v1/members/${userId}`, { method: "DELETE", headers: owner.auth })).status).toBe(204);
    const refreshed = await request("/api/v1/auth/refresh", jsonRequest("POST", { refreshToken }, ip));
    expect(refreshed.status).toBe(401);
  });

  it("another tenant cannot see or change these members (404)", async () => {
    const other = await signUpTenant("members-other");
    const list = await (await request("/api/v1/members", { headers: other.auth })).json<{
      items: { userId: string }[];
    }>();
    expect(list.items.map((m) => m.userId)).not.toContain(owner.userId);
    const change = await request(
      `/api/v1/members/${owner.userId}`,
      jsonRequest("PATCH", { role: "viewer" }, other.auth),
    );
    expect(change.status).toBe(404);
  });
});
