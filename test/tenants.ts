import { env } from "cloudflare:workers";
import { openDatabase } from "../schema/db";
import { withTenant } from "../schema/tenant-transaction";
import { sha256Hex } from "../workers/auth/encoding";
import type { Role } from "../workers/context";
import { insertApiKey } from "../workers/repositories/identity";
import { request } from "./helpers";

export interface TestTenant {
  tenantId: string;
  projectId: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
  /** Headers that authenticate as this tenant's owner. */
  auth: Record<string, string>;
}

let counter = 0;

/** Signs a new tenant up through the real API. */
export async function signUpTenant(label = "tenant"): Promise<TestTenant> {
  counter += 1;
  const email = `${label}-${Date.now()}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery staple";
  const response = await request("/api/v1/auth/signup", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `10.0.${counter % 250}.${Math.floor(Math.random() * 250)}`,
    },
    body: JSON.stringify({
      email,
      password,
      name: "Pat Plumber",
      tenantName: `${label} Plumbing`,
      projectName: "Main",
    }),
  });
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${await response.text()}`);
  const body = await response.json<Omit<TestTenant, "email" | "password" | "auth">>();
  return { ...body, email, password, auth: { authorization: `Bearer ${body.accessToken}` } };
}

/** An API key with `role` for `tenant`, seeded through the repository: quicker than the route, and any role. */
export async function apiKeyFor(tenant: TestTenant, role: Role): Promise<Record<string, string>> {
  const key = `ak_${tenant.tenantId}_${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;
  const handle = openDatabase(env);
  try {
    await withTenant(handle.db, tenant.tenantId, async (tx) =>
      insertApiKey(tx, {
        tenantId: tenant.tenantId,
        name: `${role} key`,
        prefix: key.slice(0, 12),
        keyHash: await sha256Hex(key),
        role,
        createdBy: tenant.userId,
        expiresAt: null,
      }),
    );
  } finally {
    await handle.close();
  }
  return { authorization: `Bearer ${key}` };
}

export function jsonRequest(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  return { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

interface TestMember {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** Headers that authenticate with this member's access token. */
  auth: Record<string, string>;
}

/** Someone invited into `tenant` with `role` who accepted, through the real API: a person with their own tokens. */
export async function memberOf(tenant: TestTenant, role: Role): Promise<TestMember> {
  const email = `${role}-${crypto.randomUUID()}@example.com`;
  const password = "a long enough password";
  const invited = await request("/api/v1/invitations", jsonRequest("POST", { email, role }, tenant.auth));
  if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${await invited.text()}`);
  const { token } = await invited.json<{ token: string }>();
  const ip = { "cf-connecting-ip": `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` };
  const accepted = await request(
    "/api/v1/auth/accept-invitation",
    jsonRequest("POST", { token, name: `A ${role}`, password }, ip),
  );
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${await accepted.text()}`);
  const body = await accepted.json<{ userId: string; accessToken: string; refreshToken: string }>();
  return { ...body, email, password, auth: { authorization: `Bearer ${body.accessToken}` } };
}

/** Saves a project's speed-to-lead settings at their current ETag; throws unless the API took them. */
export async function saveSpeedToLeadSettings(tenant: TestTenant, settings: Record<string, unknown>): Promise<void> {
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  const saved = await request(path, jsonRequest("PUT", settings, { ...tenant.auth, "if-match": etag }));
  if (saved.status !== 200) throw new Error(`settings: ${saved.status} ${await saved.text()}`);
}
