import { isIPv4, isIPv6 } from "node:net";

/** An IP address as a number of its family's width (32 or 128 bits). */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A network: the address with every bit past `prefix` zero, and the prefix length. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

function ipv4Value(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(text: string): bigint {
  // A dotted IPv4 tail (`::ffff:10.0.0.1`) is the last two groups.
  const body = text.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const value = ipv4Value(v4);
    return `${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  });
  const [head, tail] = body.includes("::") ? body.split("::") : [body, null];
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => BigInt(parseInt(g, 16))));
  const left = groups(head);
  const right = tail === null ? [] : groups(tail);
  const all = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

const MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a dual-stack
 * socket reports for an IPv4 peer) is the IPv4 address it maps. Null when `text` is not an address.
 */
export function parseIp(text: string): IpAddress | null {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIPv4(bare)) return { family: 4, value: ipv4Value(bare) };
  // Zone ids (fe80::1%eth0) name an interface, not a network: they are not matched against ranges.
  if (!isIPv6(bare) || bare.includes("%")) return null;
  const value = ipv6Value(bare.toLowerCase());
  if (value >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/**
 * Parses `address/prefix` (or a bare address, a single-host network). With `strict`, bits set past
 * the prefix (10.1.0.0/8) are refused as PostgreSQL's `cidr` refuses them; otherwise they are cleared.
 * IPv4-mapped IPv6 networks are refused: write them as IPv4.
 */
export function parseCidr(text: string, { strict }: { strict: boolean }): Cidr | null {
  const [addressText, prefixText, ...extra] = text.trim().split("/");
  if (extra.length > 0) return null;
  const bare = addressText.trim();
  const family = isIPv4(bare) ? 4 : isIPv6(bare) && !bare.includes("%") ? 6 : null;
  if (family === null) return null;
  const value = family === 4 ? ipv4Value(bare) : ipv6Value(bare.toLowerCase());
  if (family === 6 && value >> 32n === MAPPED_PREFIX >> 32n) return null;
  const width = WIDTH[family];
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText.trim())) return null;
  const prefix = prefixText === undefined ? width : Number(prefixText.trim());
  if (prefix > width) return null;
  const hostBits = BigInt(width - prefix);
  const network = (value >> hostBits) << hostBits;
  if (strict && network !== value) return null;
  return { family, network, prefix };
}

/** Whether `address` lies in `cidr`. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const hostBits = BigInt(WIDTH[cidr.family] - cidr.prefix);
  return address.value >> hostBits === cidr.network >> hostBits;
}

/** Whether every address of `inner` lies in `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, { family: inner.family, value: inner.network });
}

/** An address as people (and PostgreSQL) write it: 127.0.0.1, ::1, 2001:db8::1. */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((address.value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // The first longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.length) best = { start: i, length: j - i };
  }
  return best.start < 0 ? groups.join(":") : `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/** The canonical text, as PostgreSQL prints a `cidr` (`10.0.0.0/8`, `::1/128`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}
