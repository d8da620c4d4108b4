import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Which addresses a webhook may be delivered to. */
export interface AddressPolicy {
  allows(address: string): boolean;
}

/** Resolves a host name to every address it has (what the connection will use is then checked). */
export type HostLookup = (hostname: string) => Promise<string[]>;

export const systemLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** [network, prefix length] in 128-bit space; IPv4 ranges are written as IPv4-mapped. */
type Range = readonly [bigint, number];

function parseIPv4(address: string): bigint | null {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** An IPv6 address (possibly with a dotted IPv4 tail, no zone) as a 128-bit number. */
function parseIPv6(address: string): bigint | null {
  let text = address.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const tail = parseIPv4(dotted[1]);
    if (tail === null) return null;
    text = `${text.slice(0, -dotted[1].length)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const V4_MAPPED = 0xffffn << 32n;
const v4 = (cidr: string): Range => {
  const [network, bits] = cidr.split("/");
  return [V4_MAPPED | parseIPv4(network)!, 96 + Number(bits)];
};
const v6 = (cidr: string): Range => {
  const [network, bits] = cidr.split("/");
  return [parseIPv6(network)!, Number(bits)];
};

/**
 * Everything that is not a global unicast address: this host, private networks, shared address
 * space (CGNAT), link-local (cloud metadata lives at 169.254.169.254), documentation and
 * benchmarking ranges, multicast, reserved; and their IPv6 counterparts. Addresses that embed an
 * IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the embedded one.
 */
const NOT_PUBLIC: readonly Range[] = [
  v4("0.0.0.0/8"),
  v4("10.0.0.0/8"),
  v4("100.64.0.0/10"),
  v4("127.0.0.0/8"),
  v4("169.254.0.0/16"),
  v4("172.16.0.0/12"),
  v4("192.0.0.0/24"),
  v4("192.0.2.0/24"),
  v4("192.88.99.0/24"),
  v4("192.168.0.0/16"),
  v4("198.18.0.0/15"),
  v4("198.51.100.0/24"),
  v4("203.0.113.0/24"),
  v4("224.0.0.0/4"),
  v4("240.0.0.0/4"),
  v6("::/96"), // unspecified, loopback, and the deprecated IPv4-compatible ::a.b.c.d
  v6("64:ff9b:1::/48"),
  v6("100::/64"),
  v6("2001::/23"),
  v6("2001:db8::/32"),
  v6("fc00::/7"),
  v6("fe80::/10"),
  v6("fec0::/10"),
  v6("ff00::/8"),
];

const inRange = (value: bigint, [network, bits]: Range) => value >> BigInt(128 - bits) === network >> BigInt(128 - bits);

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::), as mapped. */
function embeddedIPv4(value: bigint): bigint | null {
  if (inRange(value, v6("::ffff:0:0/96")) || inRange(value, v6("64:ff9b::/96"))) return V4_MAPPED | (value & 0xffffffffn);
  if (inRange(value, v6("2002::/16"))) return V4_MAPPED | ((value >> 80n) & 0xffffffffn);
  return null;
}

/** True only for global unicast addresses. Anything unparsable is not public. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  const parsed = family === 4 ? V4_MAPPED | parseIPv4(address)! : family === 6 ? parseIPv6(address.replace(/%.*$/, "")) : null;
  if (parsed === null) return false;
  const value = embeddedIPv4(parsed) ?? parsed;
  return !NOT_PUBLIC.some((range) => inRange(value, range));
}

/** The default: only global unicast addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS unset). */
export const publicAddressesOnly: AddressPolicy = { allows: isPublicAddress };

/** WEBHOOK_ALLOW_PRIVATE_TARGETS=true: any address (tests and labs). */
export const anyAddress: AddressPolicy = { allows: () => true };

/** A URL's host as an IP literal (without IPv6 brackets), or null for a name. */
export function ipLiteral(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return isIP(host) ? host : null;
}

/** Names that always mean this host, whatever DNS says. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}
