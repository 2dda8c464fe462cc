/** CIDR parsing for the providers that compare what they read with what EntryGuard sent (AWS, script). */
import { isIP } from 'node:net';

export type Family = 'v4' | 'v6';

export interface ParsedCidr {
  /** Canonical text: what EntryGuard sends and compares (IPv6 compressed, lower case). */
  cidr: string;
  family: Family;
}

/**
 * Parses and canonicalises a CIDR. Host bits must be zero: AWS could otherwise store a different
 * text than we sent, and the next list() would never match the desired set.
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  const [ip = '', bits, extra] = text.trim().split('/');
  const v = isIP(ip);
  if ((v !== 4 && v !== 6) || extra !== undefined) return undefined;
  const width = v === 4 ? 32 : 128;
  const len = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(len >= 0 && len <= width)) return undefined;
  const value = toBigInt(ip, v);
  if (len < width && (value & ((1n << BigInt(width - len)) - 1n)) !== 0n) return undefined;
  const canonical = v === 4 ? ip : new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return { cidr: `${canonical}/${len}`, family: v === 4 ? 'v4' : 'v6' };
}

/** Canonical form of a CIDR reported by AWS; unparseable text is kept as is (lower-cased). */
export function canonicalCidr(text: string): string {
  return parseCidr(text)?.cidr ?? text.toLowerCase();
}

function toBigInt(ip: string, v: 4 | 6): bigint {
  if (v === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  const expanded = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = expanded.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}
