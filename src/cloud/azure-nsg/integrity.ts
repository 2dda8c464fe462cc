import { accessLabel, accessProblems } from '../drift.ts';
import type { ParsedResource } from './config.ts';
import type { Accounting } from './plan.ts';
import { cidrFamily, cidrKey, type Family, type RuleSlot, type RuleView } from './slots.ts';

/** One CIDR our rules hold, as list() reports it. */
export interface CidrHealth {
  /** As the first rule carrying it spells it. */
  cidr: string;
  /** The first of our rules carrying it. */
  ruleId: string;
  /** Empty when intact. */
  problems: string[];
}

/**
 * Per CIDR held by a rule of ours (keyed by cidrKey): what is wrong with the rules EntryGuard
 * keeps for it. Every rule of the CIDR's family (one per protocol) must exist, carry it and hold
 * exactly what EntryGuard writes (protocol, ports, priority, access, direction, source ports,
 * destination, no other kind of source); no other rule of ours may carry it. The description is
 * not compared: it is a label, rewritten with the next write, and changing it opens nothing.
 * Pure.
 */
export function inspectRules(acc: Accounting, parsed: ParsedResource): Map<string, CidrHealth> {
  const byName = new Map(acc.own.map((r) => [r.name.toLowerCase(), r]));
  const slotProblems = new Map(
    acc.slots.map((slot) => {
      const view = byName.get(slot.name.toLowerCase());
      return [slot.name.toLowerCase(), view ? contentProblems(view, slot, parsed) : [`rule ${slot.name} (${labels(slot).join(', ')}) is missing`]];
    }),
  );
  const held = new Map<string, CidrHealth & { family: Family }>();
  for (const rule of acc.own) {
    for (const prefix of rule.sourcePrefixes) {
      const family = cidrFamily(prefix);
      const key = cidrKey(prefix);
      if (family && !held.has(key)) held.set(key, { cidr: prefix, ruleId: rule.name, problems: [], family });
    }
  }
  for (const [key, health] of held) {
    const slots = acc.slots.filter((s) => s.family === health.family);
    for (const slot of slots) {
      const view = byName.get(slot.name.toLowerCase());
      if (view && !view.sourcePrefixes.some((p) => cidrKey(p) === key)) health.problems.push(`rule ${view.name} lacks this source`);
      health.problems.push(...slotProblems.get(slot.name.toLowerCase())!);
    }
    const expected = new Set(slots.map((s) => s.name.toLowerCase()));
    for (const rule of acc.own) {
      // A rule from an older port list, or of the other family, that still carries the CIDR.
      if (!expected.has(rule.name.toLowerCase()) && rule.sourcePrefixes.some((p) => cidrKey(p) === key)) {
        health.problems.push(`rule ${rule.name} is not configured`);
      }
    }
  }
  return new Map([...held].map(([key, { cidr, ruleId, problems }]) => [key, { cidr, ruleId, problems }]));
}

function labels(slot: RuleSlot): string[] {
  return slot.ports.map((p) => accessLabel(slot.protocol, p));
}

/** How one of our rules differs from what EntryGuard writes for its slot (source addresses aside). */
function contentProblems(view: RuleView, slot: RuleSlot, parsed: ParsedResource): string[] {
  const where = `rule ${view.name}`;
  const problems = accessProblems(labels(slot), view.destinationPorts.map((p) => accessLabel(view.protocol, p)), where);
  const differs = (what: string, actual: string | number, expected: string | number) => {
    if (String(actual).toLowerCase() !== String(expected).toLowerCase()) problems.push(`${where}: ${what} ${actual}, EntryGuard writes ${expected}`);
  };
  differs('priority is', view.priority, slot.priority);
  differs('access is', view.access, 'Allow');
  differs('direction is', view.direction, 'Inbound');
  differs('source ports are', view.sourcePorts.join(', '), '*');
  differs('destination is', view.destinationAddressPrefix, parsed.config.destinationAddressPrefix);
  for (const source of view.sourcePrefixes.filter((p) => !cidrFamily(p))) problems.push(`${where}: also allows source "${source}"`);
  return problems;
}
