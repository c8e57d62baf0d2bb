import { problems } from "../problems";

/**
 * Every R2 key is derived here, by the server, from the tenant and the record
 * it belongs to — never read from anything a tenant can write. Each key starts
 * `<kind>/<tenantId>/`, and every read checks that prefix against the caller's
 * tenant, so a key that somehow names another tenant's object reads nothing.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RECORDING_SID = /^RE[0-9a-fA-F]{32}$/;

function part(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`not a ${what}: ${JSON.stringify(value).slice(0, 60)}`);
  return value;
}

export const objectKeys = {
  recording: (tenantId: string, callId: string, recordingSid: string) =>
    `recordings/${part(tenantId, UUID, "tenant id")}/${part(callId, UUID, "call id")}/${part(recordingSid, RECORDING_SID, "recording SID")}.wav`,
  export: (tenantId: string, runId: string) =>
    `exports/${part(tenantId, UUID, "tenant id")}/${part(runId, /^[A-Za-z0-9_-]{1,100}$/, "run id")}.ndjson`,
  /** A hunted post's page as the hunter saw it: by project and the SHA-256 of its canonical address. */
  huntScreenshot: (tenantId: string, projectId: string, urlDigest: string) =>
    `hunts/${part(tenantId, UUID, "tenant id")}/${part(projectId, UUID, "project id")}/${part(urlDigest, /^[0-9a-f]{64}$/, "digest")}.png`,
  /** A pSEO page's map image (rendered from its anchor's coordinates). */
  seoMap: (tenantId: string, pageId: string) =>
    `seo-maps/${part(tenantId, UUID, "tenant id")}/${part(pageId, UUID, "page id")}.png`,
  archive: (tenantId: string, entityId: string) =>
    `archive/${part(tenantId, UUID, "tenant id")}/${part(entityId, UUID, "entity id")}.ndjson`,
};

export const isRecordingSid = (value: unknown): value is string =>
  typeof value === "string" && RECORDING_SID.test(value);

/** True when `key` is one of `tenantId`'s objects: `<kind>/<tenantId>/…`, with no path tricks. */
function belongsToTenant(key: string, tenantId: string): boolean {
  const [kind, owner, ...rest] = key.split("/");
  return (
    Boolean(kind) &&
    owner === tenantId &&
    rest.length > 0 &&
    rest.every((segment) => segment !== "" && segment !== "." && segment !== "..")
  );
}

/** Reads a tenant's object; a key outside the tenant's prefix is refused before R2 is asked. */
export async function getTenantObject(bucket: R2Bucket, tenantId: string, key: string): Promise<R2ObjectBody | null> {
  if (!belongsToTenant(key, tenantId)) {
    throw problems.notFound("No such stored object.");
  }
  return bucket.get(key);
}
