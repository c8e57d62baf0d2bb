import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  benchCountingEnv,
  countQueueMessages,
  countRequest,
  invocationsSoFar,
  objectCallsSoFar,
} from "./bench-counting";

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

describe("Worker invocations counted for the bench", () => {
  it("a request counts once, and the bench's own counter routes do not count", () => {
    const on = { ...env, BENCH_ROUTES: "on" };
    const before = invocationsSoFar().requests;
    countRequest(on, "/webhooks/twilio/status");
    countRequest(on, "/api/_bench/object-calls");
    expect(invocationsSoFar().requests - before).toBe(1);
  });

  it("a queue batch counts each of its messages", () => {
    const before = invocationsSoFar().queueMessages;
    countQueueMessages({ ...env, BENCH_ROUTES: "on" }, 3);
    expect(invocationsSoFar().queueMessages - before).toBe(3);
  });

  it("nothing is counted without bench routes, or in production whatever BENCH_ROUTES says", () => {
    const before = invocationsSoFar();
    countRequest({ ...env, BENCH_ROUTES: "off" }, "/webhooks/twilio/status");
    countQueueMessages({ ...env, BENCH_ROUTES: "on", APP_ENV: "production" }, 2);
    expect(invocationsSoFar()).toEqual(before);
  });
});
