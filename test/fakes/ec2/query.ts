/**
 * Wire helpers for the EC2/STS Query-API fake: EC2 flattens lists as `Name.1`, `Name.1.Sub.1` …
 * in a form body and answers with namespaced XML. Adapted from the verified fake in
 * shared/notes/cloud-fakes.md (Appendix A).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export type Q = Record<string, string>;

/** An error the fake answers with; `status` is the HTTP status real EC2 uses for `code`. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const OWNER = '123456789012';
export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** Characters EC2 accepts in a rule description (up to 255 of them). */
export const DESC_RE = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };
export const esc = (s: unknown): string => String(s).replace(/[<>&'"]/g, (c) => ENTITIES[c]!);
export const el = (tag: string, v: unknown): string =>
  v === undefined || v === null ? '' : `<${tag}>${esc(v)}</${tag}>`;
export const set = (tag: string, items: string[]): string => `<${tag}>${items.map((i) => `<item>${i}</item>`).join('')}</${tag}>`;
export const tagSet = (tags: { key: string; value: string }[]): string =>
  set('tagSet', tags.map((t) => el('key', t.key) + el('value', t.value)));

export function structList(q: Q, prefix: string): Q[] {
  const byIdx = new Map<number, Q>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.(.+)$`);
  for (const [k, v] of Object.entries(q)) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    const item = byIdx.get(i) ?? {};
    item[m[2]!] = v;
    byIdx.set(i, item);
  }
  return [...byIdx.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

export function scalarList(q: Q, prefix: string): string[] {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  return Object.entries(q)
    .map(([k, v]) => [re.exec(k)?.[1], v] as const)
    .filter((e): e is readonly [string, string] => e[0] !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((e) => e[1]);
}

export function filters(q: Q): { name: string; values: string[] }[] {
  return structList(q, 'Filter').map((f) => ({ name: f.Name ?? '', values: scalarList(f, 'Value') }));
}

/** EC2 accepts protocol numbers and names; it reports names (and -1 for all). */
export function normProto(p: string | undefined): string {
  const s = String(p ?? '').toLowerCase();
  return ({ '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' } as Record<string, string>)[s] ?? s;
}

export function checkCidr(c: string, v6: boolean): void {
  const [ip, len, extra] = c.split('/');
  const max = v6 ? 128 : 32;
  if (extra !== undefined || len === undefined || !/^\d+$/.test(len) || Number(len) > max || net.isIP(ip ?? '') !== (v6 ? 6 : 4))
    throw new Ec2Error('InvalidParameterValue', `CIDR block ${c} is malformed`);
}

export const genId = (p: string): string => `${p}-${randomBytes(9).toString('hex').slice(0, 17)}`;

export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return `<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function stsErrorXml(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
