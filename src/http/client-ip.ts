import type { FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors.ts';
import { cidrContains, ipVersion, normalizeIp, parseCidr } from '../shared/ip.ts';

/**
 * Where a request really came from (docs/architecture.md §4). The address opened on the firewalls is this
 * one, so the rule lives in exactly one place:
 *
 * * the socket's peer address, unless that peer is a trusted proxy;
 * * from a trusted proxy, `X-Forwarded-For` read right to left: each proxy appends the address
 *   it saw, so the rightmost entries were written by our own proxies and everything left of the
 *   first untrusted address was written by the caller and proves nothing.
 *
 * We deliberately do not use fastify's `trustProxy` option, whose rules differ in the details.
 */
export type TrustCheck = (ip: string) => boolean;

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
};

/**
 * Builds the trust check from TRUST_PROXY entries: IPs, CIDRs or `loopback`. Throws on an entry
 * that is none of these, so a typo fails at start instead of silently trusting nobody.
 */
export function createTrustCheck(entries: readonly string[]): TrustCheck {
  const cidrs = entries.flatMap((raw) => {
    const entry = raw.trim();
    const named = NAMED[entry.toLowerCase()];
    if (named) return named;
    const cidr = parseCidr(entry);
    if (!cidr) throw new Error(`TRUST_PROXY entry is not an IP address, CIDR or "loopback": ${entry}`);
    if (cidr.bits === 0) throw new Error(`TRUST_PROXY entry ${entry} trusts every address: any caller could choose the address EntryGuard opens`);
    return [entry];
  });
  return (ip) => cidrs.some((cidr) => cidrContains(cidr, ip));
}

/** Wider than this, a trusted range likely holds machines that are not our proxies. */
const WIDEST_QUIET_PREFIX = { 4: 16, 6: 48 } as const;

/**
 * TRUST_PROXY entries wider than /16 (IPv4) or /48 (IPv6): anyone holding an address in them can
 * write X-Forwarded-For and so choose which address a session opens. Worth a warning at start.
 */
export function wideTrustRanges(entries: readonly string[]): string[] {
  return entries.filter((entry) => {
    const cidr = parseCidr(entry.trim());
    return cidr !== undefined && cidr.bits < WIDEST_QUIET_PREFIX[cidr.version];
  });
}

/**
 * The client address of a request, or undefined when it cannot be told (no peer address, or a
 * trusted proxy sent an entry that is not an address — guessing would open the wrong IP).
 * `forwardedFor` is the raw header: one string (Node joins repeated headers with ", ") or a list.
 */
export function resolveClientIp(peer: string | undefined, forwardedFor: string | string[] | undefined, isTrusted: TrustCheck): string | undefined {
  if (!peer) return undefined;
  const peerIp = normalizeIp(peer);
  if (!ipVersion(peerIp)) return undefined;
  if (!isTrusted(peerIp) || forwardedFor === undefined) return peerIp;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (hops.length === 0) return peerIp;
  for (let i = hops.length - 1; i >= 0; i--) {
    const ip = parseHop(hops[i]!);
    if (!ip) return undefined;
    if (!isTrusted(ip)) return ip;
    // Every hop trusted (a client inside a trusted network): the leftmost is the origin.
    if (i === 0) return ip;
  }
  return undefined;
}

/** One X-Forwarded-For entry; some proxies append a port (`1.2.3.4:5678`, `[2001:db8::1]:443`). */
function parseHop(hop: string): string | undefined {
  let candidate = hop;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) candidate = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(hop)) candidate = hop.slice(0, hop.lastIndexOf(':'));
  const ip = normalizeIp(candidate);
  return ipVersion(ip) ? ip : undefined;
}

/** The caller's address (the TRUST_PROXY rule already applied), or the refusal every route gives without one. */
export function requireClientIp(request: FastifyRequest): string {
  if (!request.clientIp) throw new AppError('NO_IP_ADDRESS', 'EntryGuard could not tell your IP address.');
  return request.clientIp;
}
