import { describe, expect, it } from "vitest";
import { parseSigningKeys, signAccessToken, verifyAccessToken } from "./access-tokens";

// Keys are parsed and imported once per isolate; these prove the cache follows the key set it was given.
const secret = (fill: string) => fill.repeat(43);
const keySet = (...keys: Array<[string, string]>) => JSON.stringify(keys.map(([kid, s]) => ({ kid, secret: s })));

const claims = {
  userId: crypto.randomUUID(),
  tenantId: crypto.randomUUID(),
  role: "owner",
  sessionId: crypto.randomUUID(),
  membershipVersion: 1,
};

describe("access tokens across key sets", () => {
  it("a token signed under one key set verifies under a rotated set that still holds its key", async () => {
    const before = keySet(["k1", secret("a")]);
    const after = keySet(["k2", secret("b")], ["k1", secret("a")]);
    const token = await signAccessToken(parseSigningKeys(before), claims);
    const verified = await verifyAccessToken(parseSigningKeys(after), token);
    expect(verified).toMatchObject({ kid: "k1", userId: claims.userId, tenantId: claims.tenantId });
  });

  it("a rotated set signs with its new first key", async () => {
    parseSigningKeys(keySet(["k1", secret("a")]));
    const rotated = parseSigningKeys(keySet(["k2", secret("b")], ["k1", secret("a")]));
    const token = await signAccessToken(rotated, claims);
    expect((await verifyAccessToken(rotated, token)).kid).toBe("k2");
  });

  it("a token is refused once its key has left the set, although that key was used before", async () => {
    const old = keySet(["k1", secret("a")]);
    const token = await signAccessToken(parseSigningKeys(old), claims);
    await verifyAccessToken(parseSigningKeys(old), token);
    await expect(verifyAccessToken(parseSigningKeys(keySet(["k2", secret("b")])), token)).rejects.toThrow();
  });

  it("a key id that names a different secret in a new set does not verify the old token", async () => {
    const token = await signAccessToken(parseSigningKeys(keySet(["k1", secret("a")])), claims);
    await expect(verifyAccessToken(parseSigningKeys(keySet(["k1", secret("c")])), token)).rejects.toThrow();
  });
});
