import type { IncomingMessage } from "node:http";
import { type Cidr, cidrContains, parseIp, type IpAddress } from "./cidr";

/**
 * The address a request came from. Without trusted proxies it is the TCP peer's. Behind proxies
 * (TRUSTED_PROXIES) it is found as Express's "trust proxy" finds `req.ip`: starting at the peer,
 * each hop that is a trusted proxy hands over to the address it says it forwarded for (the next
 * X-Forwarded-For entry from the right); the first hop that is not trusted is the client. A client
 * can prepend anything to X-Forwarded-For, but never past the first untrusted hop, so a token's
 * allowed CIDRs cannot be dodged by a forged header. Null when the peer's address is unknown (a
 * closed socket): such a request matches no range.
 */
export function clientAddress(request: Pick<IncomingMessage, "socket" | "headers">, trustedProxies: readonly Cidr[]): IpAddress | null {
  const peer = parseIp(request.socket.remoteAddress ?? "");
  if (!peer || trustedProxies.length === 0) return peer;
  const header = request.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop !== "");
  let client = peer;
  while (hops.length > 0 && trustedProxies.some((proxy) => cidrContains(proxy, client))) {
    const next = parseIp(hops.pop()!);
    // A hop that is not an address cannot be placed in any network: nothing past it is believed.
    if (!next) return client;
    client = next;
  }
  return client;
}
