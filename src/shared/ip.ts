import { isIP } from 'node:net';

export type IpVersion = 4 | 6;

/** An address as a number: every spelling of one address parses to the same value. */
export interface ParsedIp {
  version: IpVersion;
  value: bigint;
}

/**
 * Parses an IPv4 dotted quad or any textual IPv6 form (RFC 4291 §2.2: leading zeros, any case,
 * `::` for one run of zero groups, a dotted-quad tail). Zone ids (`fe80::1%eth0`) are refused:
 * they name an interface of this host, never a client on the internet. Everything else in this
 * file goes through here, so there is one parser and one canonical form.
 */
export function parseIp(text: string): ParsedIp | undefined {
  const v = isIP(text);
  if (v === 4) return { version: 4, value: ipv4Value(text) };
  if (v !== 6 || text.includes('%')) return undefined;
  let hex = text;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = ipv4Value(dotted[2]!);
    hex = `${dotted[1]}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = hex.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return undefined; // isIP already checked; this is a guard, not a path
  return { version: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** The text of an address value: dotted quad, or RFC 5952 IPv6 (lower case, the first longest run of 2+ zero groups as `::`). */
export function formatIp(ip: ParsedIp): string {
  if (ip.version === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = [...Array(8).keys()].map((i) => (ip.value >> BigInt((7 - i) * 16)) & 0xffffn);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The canonical text of an address, or undefined when `text` is not one. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

/** ::ffff:0:0/96 — how a dual-stack socket reports an IPv4 peer. */
const isV4Mapped = (ip: ParsedIp) => ip.version === 6 && ip.value >> 32n === 0xffffn;

/**
 * The canonical form of an address as it arrives (socket peer, X-Forwarded-For hop): IPv4-mapped
 * IPv6 becomes the IPv4 address it stands for, however it is written. Text that is no address
 * comes back trimmed and lower-cased, for the caller's `ipVersion` check to refuse.
 */
export function normalizeIp(raw: string): string {
  const text = raw.trim();
  const ip = parseIp(text);
  if (!ip) return text.toLowerCase();
  return formatIp(isV4Mapped(ip) ? { version: 4, value: ip.value & 0xffffffffn } : ip);
}

export function ipVersion(ip: string): IpVersion | undefined {
  return parseIp(ip)?.version;
}

/** The single-host CIDR a session opens: /32 for IPv4, /128 for IPv6, in canonical form. */
export function hostCidr(ip: string): string {
  const parsed = parseIp(ip);
  if (!parsed) throw new Error(`not an IP address: ${ip}`);
  return `${formatIp(parsed)}/${parsed.version === 4 ? 32 : 128}`;
}

export function cidrVersion(cidr: string): IpVersion {
  return cidr.includes(':') ? 6 : 4;
}

export interface ParsedCidr extends ParsedIp {
  bits: number;
}

/** `base/bits` (or a bare address = a single host); undefined when it is neither. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const [base = '', bitsRaw, extra] = text.split('/');
  const ip = parseIp(base);
  if (!ip || extra !== undefined) return undefined;
  const width = ip.version === 4 ? 32 : 128;
  if (bitsRaw === undefined) return { ...ip, bits: width };
  if (!/^\d{1,3}$/.test(bitsRaw) || Number(bitsRaw) > width) return undefined;
  return { ...ip, bits: Number(bitsRaw) };
}

/** Whether `ip` falls inside `cidr` (or equals it when `cidr` has no prefix length). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  const addr = parseIp(ip);
  if (!net || !addr || net.version !== addr.version) return false;
  const shift = BigInt((net.version === 4 ? 32 : 128) - net.bits);
  return net.value >> shift === addr.value >> shift;
}

/** Loopback: 127.0.0.0/8 and ::1 (a mapped 127.x arrives unmapped through normalizeIp). */
export function isLoopbackIp(ip: string): boolean {
  return cidrContains('127.0.0.0/8', normalizeIp(ip)) || cidrContains('::1/128', ip);
}

/**
 * Whether a host name or address (as in HOST, or a URL's host, brackets allowed) can only mean
 * this machine: `localhost` or a loopback address. Other names are not resolved: DNS could say
 * anything.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || (parseIp(h) !== undefined && isLoopbackIp(h));
}

/**
 * The network an address stands for when counting a client: the address itself for IPv4, its /64
 * for IPv6 (one host or home usually has a whole /64 and can pick any address in it).
 */
export function clientNetwork(ip: string): string {
  const parsed = parseIp(ip);
  if (parsed?.version !== 6) return ip;
  return `${formatIp({ version: 6, value: (parsed.value >> 64n) << 64n })}/64`;
}
