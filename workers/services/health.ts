import { openDatabase } from "../../schema/db";
import { describeError } from "../logger";
import { pingPostgres } from "../repositories/health";

type CheckStatus = "ok" | "down";

type Configured = "configured" | "not-configured";

/** Flat on purpose: `curl /api/health` should read at a glance. */
export interface HealthReport {
  status: "ok" | "down";
  postgres: CheckStatus;
  tenantObject: CheckStatus;
  queue: "bound" | "missing";
  twilio: Configured;
  llm: "gemini" | "rules";
  browser: Configured;
  timingsMs: { postgres: number; tenantObject: number };
  errors?: { postgres?: string; tenantObject?: string };
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
 * served, so health is `down` (503). Twilio, LLM and browser are reported as
 * configured or not — a missing one degrades a feature, not the platform, so
 * it never turns health red (load balancers would pull a working instance).
 */
export async function checkHealth(env: Env, waitUntil: (promise: Promise<unknown>) => void): Promise<HealthReport> {
  const [postgres, tenantObject] = await Promise.all([
    timed(async () => {
      const handle = openDatabase(env);
      try {
        await pingPostgres(handle.db);
      } finally {
        waitUntil(handle.close().catch(() => undefined));
      }
    }),
    timed(() => env.TENANT.getByName(HEALTH_PROBE_OBJECT).ping()),
  ]);
  const core = postgres.status === "ok" && tenantObject.status === "ok";
  const errors = {
    ...(postgres.error ? { postgres: postgres.error } : {}),
    ...(tenantObject.error ? { tenantObject: tenantObject.error } : {}),
  };
  const configured = (yes: boolean): Configured => (yes ? "configured" : "not-configured");
  return {
    status: core ? "ok" : "down",
    postgres: postgres.status,
    tenantObject: tenantObject.status,
    queue: env.AGENTS ? "bound" : "missing",
    twilio: configured(Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN)),
    llm: env.GEMINI_API_KEY ? "gemini" : "rules",
    browser: configured(Boolean(env.BROWSER)),
    timingsMs: { postgres: postgres.ms, tenantObject: tenantObject.ms },
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}
