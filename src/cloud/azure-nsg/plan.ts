import { ProviderError, type ChangeSet, type ResourceTarget } from '../../engine/ports.ts';
import type { ParsedResource } from './config.ts';
import { cidrFamily, cidrKey, isOwnRule, ruleBody, sameRule, type Family, type RuleBody, type RuleSlot, type RuleView } from './slots.ts';

/**
 * Turns "the NSG as it is" plus a change into the few rule writes that make it so, refusing up
 * front what cannot work: CIDRs beyond Azure's limits (1,000 rules, 4,000 source prefixes per
 * NSG, both counted over everyone's rules) and families whose priority a foreign rule holds.
 * Pure: the provider runs the writes.
 */

export type PlannedWrite =
  | { kind: 'put'; name: string; body: RuleBody; before: Set<string>; after: Set<string> }
  | { kind: 'delete'; name: string; before: Set<string>; after: Set<string> };

export interface Plan {
  /** In execution order: deletes and shrinking rules first, so room is freed before it is used. */
  writes: PlannedWrite[];
  /** Added CIDRs refused before any call, with why. */
  refused: Map<string, ProviderError>;
}

export interface Accounting {
  own: RuleView[];
  /** Slots as they will be written (an existing rule keeps its priority if the configured one is taken). */
  slots: RuleSlot[];
  /** Family → the foreign rule holding a priority we need, when one does. */
  blocked: Map<Family, RuleView>;
  /** CIDRs we hold now, per family (union over our rules). */
  current: Map<Family, Set<string>>;
  foreignRules: number;
  foreignPrefixes: number;
}

export function account(rules: RuleView[], slots: RuleSlot[], parsed: ParsedResource): Accounting {
  const own = rules.filter((r) => isOwnRule(r.name, parsed.ruleBase));
  const foreign = rules.filter((r) => !isOwnRule(r.name, parsed.ruleBase));
  const blocked = new Map<Family, RuleView>();
  const effective = slots.map((slot) => {
    const existing = own.find((r) => r.name.toLowerCase() === slot.name.toLowerCase());
    const clash = foreign.find((r) => r.priority === slot.priority && r.direction.toLowerCase() === 'inbound');
    if (!clash) return slot;
    if (existing) return { ...slot, priority: existing.priority }; // never move onto someone else's priority
    if (!blocked.has(slot.family)) blocked.set(slot.family, clash);
    return slot;
  });
  const current = new Map<Family, Set<string>>([[4, new Set()], [6, new Set()]]);
  for (const rule of own) {
    for (const prefix of rule.sourcePrefixes) {
      const family = cidrFamily(prefix);
      if (family) current.get(family)!.add(cidrKey(prefix));
    }
  }
  return {
    own,
    slots: effective,
    blocked,
    current,
    foreignRules: foreign.length,
    // A rule with a single prefix, a tag or none (application security groups) still counts as one.
    foreignPrefixes: foreign.reduce((n, r) => n + Math.max(1, r.sourcePrefixes.length), 0),
  };
}

/** Room left after `held` CIDRs per family: prefixes and rules, shared by both families. */
export function room(acc: Accounting, parsed: ParsedResource, held: Map<Family, Set<string>>): { prefixes: number; rules: number } {
  let prefixes = parsed.config.maxSourcePrefixes - acc.foreignPrefixes;
  let rules = parsed.config.maxRules - acc.foreignRules;
  for (const family of [4, 6] as const) {
    const n = slotsOf(acc, family).length;
    if (held.get(family)!.size > 0) {
      prefixes -= held.get(family)!.size * n;
      rules -= n;
    }
  }
  return { prefixes, rules };
}

export function slotsOf(acc: Accounting, family: Family): RuleSlot[] {
  return acc.slots.filter((s) => s.family === family);
}

export function planChange(
  resource: ResourceTarget,
  parsed: ParsedResource,
  acc: Accounting,
  change: ChangeSet,
  nsgLabel: string,
): Plan {
  const removing = new Set(change.remove.map(cidrKey));
  const desired = new Map<Family, Set<string>>();
  for (const family of [4, 6] as const) desired.set(family, new Set([...acc.current.get(family)!].filter((c) => !removing.has(c))));
  const left = room(acc, parsed, desired);
  const refused = new Map<string, ProviderError>();

  for (const cidr of change.add) {
    const key = cidrKey(cidr);
    const family = cidrFamily(cidr);
    if (!family) {
      refused.set(cidr, new ProviderError('INVALID_CIDR', `"${cidr}" is not a CIDR Azure accepts (host bits must be zero)`, { retryable: false }));
      continue;
    }
    const clash = acc.blocked.get(family);
    if (clash) {
      // Even a CIDR one of our rules already holds is not fully open while a sibling rule is blocked.
      refused.set(cidr, priorityTaken(clash, nsgLabel, family));
      continue;
    }
    const held = desired.get(family)!;
    if (held.has(key) || removing.has(key)) continue;
    const n = slotsOf(acc, family).length;
    const newRules = held.size === 0 ? n : 0;
    if (left.rules < newRules) {
      refused.set(cidr, quota(`NSG ${nsgLabel} has no room for another security rule (limit ${parsed.config.maxRules} per NSG, counting other rules)`));
    } else if (left.prefixes < n) {
      refused.set(cidr, quota(`NSG ${nsgLabel} has no room for another source address prefix (limit ${parsed.config.maxSourcePrefixes} per NSG, summed over all its rules)`));
    } else {
      left.rules -= newRules;
      left.prefixes -= n;
      held.add(key);
    }
  }
  return { writes: writesFor(resource, parsed, acc, desired), refused };
}

function writesFor(resource: ResourceTarget, parsed: ParsedResource, acc: Accounting, desired: Map<Family, Set<string>>): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  const prefixesOf = (r: RuleView | undefined) => new Set((r?.sourcePrefixes ?? []).map(cidrKey));
  const slotNames = new Set(acc.slots.map((s) => s.name.toLowerCase()));
  // Our rules from an older port list: their CIDRs were counted as current, now they go.
  for (const stale of acc.own.filter((r) => !slotNames.has(r.name.toLowerCase()))) {
    writes.push({ kind: 'delete', name: stale.name, before: prefixesOf(stale), after: new Set() });
  }
  for (const slot of acc.slots) {
    const existing = acc.own.find((r) => r.name.toLowerCase() === slot.name.toLowerCase());
    const target = desired.get(slot.family)!;
    if (target.size === 0) {
      // An empty prefix list is invalid in Azure: the rule goes instead.
      if (existing) writes.push({ kind: 'delete', name: existing.name, before: prefixesOf(existing), after: new Set() });
      continue;
    }
    if (acc.blocked.has(slot.family) && !existing) continue;
    const body = ruleBody(slot, resource, parsed, [...target]);
    if (existing && sameRule(existing, body)) continue;
    writes.push({ kind: 'put', name: existing?.name ?? slot.name, body, before: prefixesOf(existing), after: new Set(target) });
  }
  const order = (w: PlannedWrite) => (w.kind === 'delete' ? -1e9 : w.after.size - w.before.size);
  return freeOwnPriorities(writes.sort((a, b) => order(a) - order(b)), acc.own);
}

/**
 * After a change of config.priority one of our rules may move onto a priority another of ours
 * still holds (300/301 → 301/302): write the holder first, or Azure answers SecurityRuleConflict.
 */
function freeOwnPriorities(writes: PlannedWrite[], own: RuleView[]): PlannedWrite[] {
  const out = [...writes];
  for (let i = 0, guard = 0; i < out.length && guard < out.length * out.length; i++, guard++) {
    const w = out[i]!;
    if (w.kind !== 'put') continue;
    const holder = own.find((r) => r.priority === w.body.priority && r.name.toLowerCase() !== w.name.toLowerCase());
    const j = holder ? out.findIndex((x, k) => k > i && x.name.toLowerCase() === holder.name.toLowerCase()) : -1;
    if (j > i) {
      out.splice(i, 0, ...out.splice(j, 1));
      i -= 1;
    }
  }
  return out;
}

function quota(message: string): ProviderError {
  return new ProviderError('QUOTA_EXCEEDED', message, { retryable: false });
}

function priorityTaken(clash: RuleView, nsgLabel: string, family: Family): ProviderError {
  return new ProviderError(
    'PRIORITY_CONFLICT',
    `priority ${clash.priority} on NSG ${nsgLabel} is already used by rule "${clash.name}", so the IPv${family} rule cannot be created; ` +
      'set config.priority to a free range (each protocol uses two consecutive priorities: IPv4 and IPv6)',
    { retryable: false },
  );
}
