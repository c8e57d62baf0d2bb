/**
 * A typed client for the Apex API: openapi-fetch, typed by the `paths` that
 * openapi-typescript generates from the served OpenAPI document
 * (`npm run client:generate`; CI's `client:check` fails when they drift).
 * Paths, parameters, bodies and answers — problems included — are checked
 * by the compiler against what the API really declares.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.d.ts";

export type { components, paths };
export type ApexClient = Client<paths>;
/** The RFC 9457 body of every 4xx/5xx answer. */
export type Problem = components["schemas"]["Problem"];

export interface ApexClientOptions {
  /** Where Apex runs, e.g. https://apex.example.com; the paths carry /api/v1. */
  baseUrl: string;
  /** An access token (sign-up, log-in) or an API key; sent as `Authorization: Bearer …`. */
  token?: string;
  fetch?: (request: Request) => Promise<Response>;
}

export function createApexClient({ baseUrl, token, fetch }: ApexClientOptions): ApexClient {
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    ...(fetch ? { fetch } : {}),
  });
}

/**
 * The header that makes a write safe to retry, for `params.header`. Keep the
 * key and send the same one again when retrying: the API then replays the
 * first answer (`Idempotent-Replayed: true`) instead of writing twice.
 */
export function idempotent(key: string = crypto.randomUUID()): { "idempotency-key": string } {
  return { "idempotency-key": key };
}
