import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { benchCountingEnv, objectCallsSoFar } from "./bench-counting";

describe("object calls counted for the bench", () => {
  it("every method called on a stub of a counting env adds one call", async () => {
    const counted = benchCountingEnv({ ...env, BENCH_ROUTES: "on" });
    const before = objectCallsSoFar();
    const tenant = counted.TENANT.getByName(crypto.randomUUID());
    await tenant.ping();
    await tenant.ping();
    expect(objectCallsSoFar() - before).toBe(2);
  });

  it("without bench routes the env is the Worker's own and nothing is counted", async () => {
    const plain = { ...env, BENCH_ROUTES: "off" };
    expect(benchCountingEnv(plain)).toBe(plain);
    const before = objectCallsSoFar();
    await plain.TENANT.getByName(crypto.randomUUID()).ping();
    expect(objectCallsSoFar()).toBe(before);
  });
});
