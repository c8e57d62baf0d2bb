/**
 * Durable Object calls counted for `npm run bench` (#18 item 7: what one lead
 * costs). Only where bench routes are on (never in production): the Worker's
 * entry hands its handlers an `env` whose object namespaces count every
 * method call made on the stubs they give out. Calls one object makes to
 * another are not counted (none are made today).
 */
let calls = 0;
/** Worker invocations (#18 item 7): HTTP requests other than the bench's own routes, and queue messages. */
let requests = 0;
let queueMessages = 0;

export const objectCallsSoFar = () => calls;

export const invocationsSoFar = () => ({ requests, queueMessages });

const countsHere = (env: Env) => env.BENCH_ROUTES === "on" && env.APP_ENV !== "production";

/** Counts one HTTP request the Worker answers (bench routes only); the bench's own counter routes are not work. */
export function countRequest(env: Env, pathname: string): void {
  if (countsHere(env) && !pathname.startsWith("/api/_bench/")) requests += 1;
}

/** Counts the messages of one queue batch the Worker consumes (bench routes only). */
export function countQueueMessages(env: Env, messages: number): void {
  if (countsHere(env)) queueMessages += messages;
}

const NAMESPACES = ["TENANT", "INTAKE_GATE", "RATE_LIMITER"] as const;

function countingStub<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function" || typeof property !== "string") return value;
      return (...args: unknown[]) => {
        calls += 1;
        return Reflect.apply(value, target, args);
      };
    },
  });
}

function countingNamespace<T extends object>(namespace: T): T {
  return new Proxy(namespace, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== "getByName" && property !== "get") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) => countingStub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
    },
  });
}

const counted = new WeakMap<Env, Env>();

/** `env` itself unless bench routes are on outside production; then the same env with counting namespaces. */
export function benchCountingEnv(env: Env): Env {
  if (!countsHere(env)) return env;
  let wrapped = counted.get(env);
  if (!wrapped) {
    wrapped = { ...env };
    for (const name of NAMESPACES) {
      (wrapped as unknown as Record<string, object>)[name] = countingNamespace(env[name] as object);
    }
    counted.set(env, wrapped);
  }
  return wrapped;
}
