import { openDatabase } from "../../schema/db";
import type { ProviderName } from "../llm/types";
import { describeError } from "../logger";
import { pingPostgres } from "../repositories/health";
import { type IntegrationStatus, probeLlm, probeTwilio } from "./integration-probes";

type CheckStatus = "ok" | "down";

/** Flat on purpose: `curl /api/health` should read at a glance. */
export interface HealthReport {
  status: "ok" | "down";
  postgres: CheckStatus;
  tenantObject: CheckStatus;
  queue: "bound" | "missing";
  twilio: IntegrationStatus;
  llm: { provider: ProviderName; status: IntegrationStatus };
  /** Bound or not: a browser session is too slow and costly to open for a probe. */
  browser: "configured" | "not-configured";
  timingsMs: { postgres: number; tenantObject: number };
  errors?: { postgres?: string; tenantObject?: string; twilio?: string; llm?: string };
}

/** The object the health probe pings; never a real tenant id (those are uuids). */
const HEALTH_PROBE_OBJECT = "health-probe";
const CHECK_TIMEOUT_MS = 4_000;

interface CheckResult {
  status: CheckStatus;
  ms: number;
  error?: string;
}

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: "ok", ms: Date.now() - started };
  } catch (error) {
    return { status: "down", ms: Date.now() - started, error: describeError(error) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * Core = Postgres and the tenant object: without either no request can be
 * served, so health is `down` (503). Twilio and the LLM are probed (cached,
 * at most 1.5 s: ./integration-probes.ts) and reported as ok, refused,
 * unreachable or not configured; the browser as bound or not. None of them
 * ever turns health red — a missing one degrades a feature, not the platform,
 * and load balancers would pull a working instance.
 */
export async function checkHealth(env: Env, waitUntil: (promise: Promise<unknown>) => void): Promise<HealthReport> {
  const [postgres, tenantObject, twilio, llm] = await Promise.all([
    timed(async () => {
      const handle = openDatabase(env);
      try {
        await pingPostgres(handle.db);
      } finally {
        waitUntil(handle.close().catch(() => undefined));
      }
    }),
    timed(() => env.TENANT.getByName(HEALTH_PROBE_OBJECT).ping()),
    probeTwilio(env),
    probeLlm(env),
  ]);
  const core = postgres.status === "ok" && tenantObject.status === "ok";
  const errors = {
    ...(postgres.error ? { postgres: postgres.error } : {}),
    ...(tenantObject.error ? { tenantObject: tenantObject.error } : {}),
    ...(twilio.reason ? { twilio: twilio.reason } : {}),
    ...(llm.reason ? { llm: llm.reason } : {}),
  };
  return {
    status: core ? "ok" : "down",
    postgres: postgres.status,
    tenantObject: tenantObject.status,
    queue: env.AGENTS ? "bound" : "missing",
    twilio: twilio.status,
    llm: { provider: llm.provider, status: llm.status },
    browser: env.BROWSER ? "configured" : "not-configured",
    timingsMs: { postgres: postgres.ms, tenantObject: tenantObject.ms },
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}
