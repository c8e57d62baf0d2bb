/**
 * Which IP addresses are public unicast, for the outbound-URL policy.
 * IPv4 refuses the IANA special-purpose registry (RFC 6890 and successors);
 * IPv6 is an allowlist: global unicast 2000::/3 minus its special blocks, so
 * mapped, compatible, NAT64, unique-local, link-local and multicast forms all
 * fall outside without being listed one by one.
 */

/** An IPv4 address in dotted decimal (the form `URL` normalises every IPv4 spelling to), as a 32-bit number. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((address, part) => address * 256 + Number(part), 0);
}

/** An IPv6 address (without brackets) as eight 16-bit groups; a dotted IPv4 tail is accepted. */
export function parseIPv6(text: string): number[] | undefined {
  let source = text.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(source);
  if (dotted?.[1]) {
    const v4 = parseIPv4(dotted[1]);
    if (v4 === undefined) return undefined;
    source = `${source.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = source.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined) => (half ? half.split(":") : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => Number.parseInt(group, 16));
}

/** [first address, prefix length] of every IPv4 block that is not public unicast. */
const NON_PUBLIC_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, where cloud metadata services answer
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.31.196.0", 24], // AS112
  ["192.52.193.0", 24], // AMT
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["192.175.48.0", 24], // direct delegation AS112
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
];

const V4_BLOCKS = NON_PUBLIC_V4.map(([first, bits]) => {
  const size = 2 ** (32 - bits);
  const start = parseIPv4(first) as number;
  return { start, end: start + size - 1 };
});

export function isPublicIPv4(address: number): boolean {
  return !V4_BLOCKS.some((block) => address >= block.start && address <= block.end);
}

export function isPublicIPv6(groups: number[]): boolean {
  const [first = 0, second = 0] = groups;
  if ((first & 0xe000) !== 0x2000) return false; // outside global unicast 2000::/3
  if (first === 0x2001 && second < 0x0200) return false; // 2001::/23 IETF protocol assignments (Teredo, benchmarking, ORCHID)
  if (first === 0x2001 && second === 0x0db8) return false; // documentation
  if (first === 0x2002) return false; // 6to4: an IPv4 address in disguise
  if (first === 0x3fff && second < 0x1000) return false; // documentation (RFC 9637)
  return true;
}

/** True for 127.0.0.0/8 and ::1: the only addresses the local environments may reach. */
export function isLoopback(host: { v4?: number | undefined; v6?: number[] | undefined }): boolean {
  if (host.v4 !== undefined) return host.v4 >>> 24 === 127;
  const groups = host.v6 ?? [];
  return groups.length === 8 && groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1;
}
