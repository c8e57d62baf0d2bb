import type { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { randomToken, sha256Hex } from "../auth/encoding";
import { newApiKeyInput, parseId, parseInput } from "../auth/inputs";
import { ROLE_RANK } from "../auth/roles";
import type { Role } from "../context";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey } from "../repositories/identity";
import type { ServiceContext } from "../service-context";
import { earlierEffect, openedForReplay, recordEffect, sealedForReplay } from "./idempotent-effects";

/** A new key as listed; the key itself is added to the answer, once. */
interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: null;
}

/**
 * Creates a key `ak_<tenant>_<secret>`. The whole key is returned once and only
 * its SHA-256 is stored. A caller cannot mint a key stronger than itself, and
 * the key acts for the person behind the caller (the creator of a calling
 * key), so it ends with that person's membership.
 */
export async function createApiKey(
  raw: z.input<typeof newApiKeyInput>,
  { env, db, actor, idempotency }: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
) {
  const input = parseInput(newApiKeyInput, raw);
  if (ROLE_RANK[input.role] > ROLE_RANK[actor.auth.role]) {
    throw new Problem({
      status: 403,
      code: "forbidden",
      title: "Forbidden",
      detail: `A ${actor.auth.role} cannot create a key with the ${input.role} role.`,
      errors: [{ field: "role", message: `at most ${actor.auth.role}` }],
    });
  }
  const key = `ak_${actor.auth.tenantId}_${randomToken(32)}`;
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<ApiKeySummary & { sealedKey: string | null }>(tx, idempotency);
    if (earlier) {
      const { sealedKey, ...summary } = earlier;
      return { ...summary, key: await openedForReplay(env, actor.auth.tenantId, sealedKey, `API key ${summary.id}`) };
    }
    const row = await insertApiKey(tx, {
      tenantId: actor.auth.tenantId,
      name: input.name,
      prefix: key.slice(0, 48),
      keyHash: await sha256Hex(key),
      role: input.role,
      createdBy: actor.auth.userId ?? null,
      expiresAt,
    });
    const summary: ApiKeySummary = {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      role: row.role,
      createdAt: row.createdAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      revokedAt: null,
    };
    await recordAudit(tx, actor, { action: "api_key.create", entityType: "api_key", entityId: row.id, after: summary });
    const sealedKey = await sealedForReplay(env, actor.auth.tenantId, idempotency, key);
    await recordEffect(tx, actor.auth.tenantId, idempotency, { ...summary, sealedKey });
    return { ...summary, key };
  });
}

export async function apiKeyList({ db, actor }: Pick<ServiceContext, "db" | "actor">) {
  const rows = await withTenant(db, actor.auth.tenantId, (tx) => listApiKeys(tx));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: r.role,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  }));
}

/** Revokes a key; like member changes, a caller cannot revoke a key stronger than itself. */
export async function revokeKey(idInput: unknown, { db, actor }: Pick<ServiceContext, "db" | "actor">): Promise<void> {
  const id = parseId(idInput, "id");
  await withTenant(db, actor.auth.tenantId, async (tx) => {
    const target = await findApiKey(tx, id);
    if (target && !target.revokedAt && ROLE_RANK[target.role] > ROLE_RANK[actor.auth.role]) {
      throw new Problem({
        status: 403,
        code: "forbidden",
        title: "Forbidden",
        detail: `A ${actor.auth.role} cannot revoke a key with the ${target.role} role.`,
        errors: [{ field: "id", message: `the key's role is above ${actor.auth.role}` }],
      });
    }
    const row = await revokeApiKey(tx, id, new Date());
    if (!row) throw problems.notFound(`No active API key ${id}.`);
    await recordAudit(tx, actor, { action: "api_key.revoke", entityType: "api_key", entityId: id, before: row });
  });
}
