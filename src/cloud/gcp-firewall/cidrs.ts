import { isIP } from 'node:net';
import type { Family } from './config.ts';

/**
 * The form we compare and report CIDRs in: explicit prefix length and compressed lower-case
 * IPv6, the same form the engine stores (`hostCidr`). Returns undefined for anything GCE would
 * reject as a source range.
 */
export function canonicalCidr(raw: string): { cidr: string; family: Family } | undefined {
  const [ip = '', len, extra] = raw.trim().split('/');
  const v = isIP(ip);
  if ((v !== 4 && v !== 6) || extra !== undefined) return undefined;
  const width = v === 4 ? 32 : 128;
  const bits = len === undefined ? width : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= width)) return undefined;
  const host = v === 4 ? ip : new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return { cidr: `${host}/${bits}`, family: v === 4 ? 'v4' : 'v6' };
}

export interface FamilyPlan {
  /** The rule's `sourceRanges` after the change: kept entries in their order, then new ones. */
  next: string[];
  /** Whether `next` differs from what the rule holds (false = no API call needed). */
  changed: boolean;
  /** Adds that become present through this change. */
  added: string[];
  /** Adds that were present already. */
  present: string[];
  /** Adds that do not fit under the per-rule limit. */
  overLimit: string[];
  /** Removes that take an entry out through this change (the others were absent). */
  removed: string[];
}

/** current + add − remove for one rule, filling the room under `max` in the order given. */
export function planFamily(current: string[], add: string[], remove: string[], max: number): FamilyPlan {
  const canon = (c: string) => canonicalCidr(c)?.cidr ?? c;
  const currentSet = new Set(current.map(canon));
  const removeSet = new Set(remove.filter((c) => !add.includes(c)));
  const kept = [...currentSet].filter((c) => !removeSet.has(c));
  const removed = [...removeSet].filter((c) => currentSet.has(c));
  const plan: FamilyPlan = { next: kept, changed: removed.length > 0, added: [], present: [], overLimit: [], removed };
  const keptSet = new Set(kept);
  for (const cidr of new Set(add)) {
    if (keptSet.has(cidr)) plan.present.push(cidr);
    else if (plan.next.length < max) {
      plan.next.push(cidr);
      plan.added.push(cidr);
      plan.changed = true;
    } else plan.overLimit.push(cidr);
  }
  return plan;
}
