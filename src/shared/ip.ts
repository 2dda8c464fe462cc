import { isIP } from 'node:net';

export type IpVersion = 4 | 6;

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 clients on a dual-stack socket. */
export function normalizeIp(raw: string): string {
  const ip = raw.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip.toLowerCase();
}

export function ipVersion(ip: string): IpVersion | undefined {
  const v = isIP(ip);
  return v === 4 || v === 6 ? v : undefined;
}

/** The single-host CIDR a session opens: /32 for IPv4, /128 for IPv6. */
export function hostCidr(ip: string): string {
  const v = ipVersion(ip);
  if (!v) throw new Error(`not an IP address: ${ip}`);
  return v === 4 ? `${ip}/32` : `${expandIpv6(ip)}/128`;
}

export function cidrVersion(cidr: string): IpVersion {
  return cidr.includes(':') ? 6 : 4;
}

/** Canonical (compressed, lower-case) IPv6 so the same address always yields the same CIDR. */
function expandIpv6(ip: string): string {
  const url = new URL(`http://[${ip}]/`);
  return url.hostname.slice(1, -1);
}

/** Whether `ip` falls inside `cidr` (or equals it when `cidr` has no prefix length). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsRaw] = cidr.split('/');
  const v = ipVersion(ip);
  if (!base || !v || ipVersion(base) !== v) return false;
  const width = v === 4 ? 32 : 128;
  const bits = bitsRaw === undefined ? width : Number(bitsRaw);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return false;
  const a = toBigInt(base, v);
  const b = toBigInt(ip, v);
  const shift = BigInt(width - bits);
  return a >> shift === b >> shift;
}

/**
 * The network an address stands for when counting a client: the address itself for IPv4, its /64
 * for IPv6 (one host or home usually has a whole /64 and can pick any address in it).
 */
export function clientNetwork(ip: string): string {
  if (ipVersion(ip) !== 6) return ip;
  const prefix = toBigInt(ip, 6) >> 64n;
  const groups = [48n, 32n, 16n, 0n].map((s) => ((prefix >> s) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}

function toBigInt(ip: string, v: IpVersion): bigint {
  if (v === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  const [head = '', tail = ''] = expandIpv6(ip).split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}
