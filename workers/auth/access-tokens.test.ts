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

// Verified tokens are kept by their text (decision 032); these prove a kept one is still checked against the clock.
describe("access tokens verified before", () => {
  const keys = parseSigningKeys(keySet(["k1", secret("a")]));

  it("a token verified once is refused after it has expired", async () => {
    const minted = Date.now();
    const token = await signAccessToken(keys, claims, minted);
    await verifyAccessToken(keys, token, minted + 1_000);
    await expect(verifyAccessToken(keys, token, minted + 16 * 60_000)).rejects.toThrow();
  });

  it("a token verified once is refused before its not-before time", async () => {
    const minted = Date.now() + 60_000;
    const token = await signAccessToken(keys, claims, minted);
    await verifyAccessToken(keys, token, minted + 1_000);
    await expect(verifyAccessToken(keys, token, minted - 5_000)).rejects.toThrow();
  });

  it("a token that differs from a verified one by one character is refused", async () => {
    const token = await signAccessToken(keys, claims);
    await verifyAccessToken(keys, token);
    // Inside the signature: its last character carries two unused bits, so changing it may change nothing.
    const at = token.length - 10;
    const other = token[at] === "A" ? "B" : "A";
    await expect(verifyAccessToken(keys, `${token.slice(0, at)}${other}${token.slice(at + 1)}`)).rejects.toThrow();
  });
});
