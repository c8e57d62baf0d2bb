import { isPublicIPv4, isPublicIPv6, parseIPv4, parseIPv6 } from "./ip-addresses";

/** Every address a name resolves to (A and AAAA). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const DOH_ENDPOINT = "https://cloudflare-dns.com/dns-query";
const RECORD_TYPES = { A: 1, AAAA: 28 } as const;

/** A name the resolver could not answer for: retryable, unlike a refusal. */
class HostResolutionError extends Error {
  override name = "HostResolutionError";
}

/**
 * Workers' fetch never tells us the address it connected to, so production
 * asks Cloudflare's DNS-over-HTTPS resolver first — the resolver the
 * platform's own fetch uses — and refuses a name with any non-public answer.
 */
export const resolveOverHttps: ResolveHost = async (hostname) => {
  const answers = await Promise.all(
    Object.entries(RECORD_TYPES).map(async ([type, code]) => {
      const response = await fetch(`${DOH_ENDPOINT}?name=${encodeURIComponent(hostname)}&type=${type}`, {
        headers: { accept: "application/dns-json" },
        signal: AbortSignal.timeout(3_000),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new HostResolutionError(`DNS lookup for ${hostname} answered ${response.status}`);
      }
      const body = (await response.json()) as { Status?: number; Answer?: { type: number; data: string }[] };
      if (body.Status !== 0) throw new HostResolutionError(`DNS lookup for ${hostname} failed (rcode ${body.Status})`);
      return (body.Answer ?? []).filter((record) => record.type === code).map((record) => record.data);
    }),
  );
  const addresses = answers.flat();
  if (addresses.length === 0) throw new HostResolutionError(`${hostname} has no address`);
  return addresses;
};

export function isPublicAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return isPublicIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 !== undefined && isPublicIPv6(v6);
}
