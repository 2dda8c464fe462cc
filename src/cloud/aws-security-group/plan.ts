/** Decides, without calling AWS, what adding CIDRs to a security group takes (pure). */
import { ProviderError, type CidrOutcome } from '../../engine/ports.ts';
import type { Family } from '../cidr.ts';
import type { InboundRule, RuleUsage } from './group-rules.ts';
import { describeSpec, specKey, type RuleSpec } from './permissions.ts';

export interface Candidate {
  /** The CIDR exactly as the engine passed it (the outcome's key). */
  input: string;
  /** Canonical form, compared with what AWS reports. */
  cidr: string;
  family: Family;
}

export interface Creation extends Candidate {
  specs: RuleSpec[];
  /** Our rules for this CIDR that already exist (other port ranges). */
  existingIds: string[];
}

export interface AddPlan {
  decided: Map<string, CidrOutcome>;
  creations: Creation[];
}

export interface PlanInput {
  candidates: Candidate[];
  rules: InboundRule[];
  usage: RuleUsage;
  limit: number;
  specsFor(family: Family): RuleSpec[];
  resourceId: string;
  groupId: string;
}

const FAMILY_LABEL: Record<Family, string> = { v4: 'IPv4', v6: 'IPv6' };

/**
 * Per CIDR, in the order given: already fully ours → ok; a needed rule exists but is not ours →
 * UNMANAGED_RULE_EXISTS (never adopted: we could not tell when to remove it); the missing rules
 * do not fit the family's quota → QUOTA_EXCEEDED; otherwise the rules to create. A CIDR is all
 * or nothing, so a session never ends up with half of its ports.
 */
export function planAdds(input: PlanInput): AddPlan {
  const usage = { ...input.usage };
  const decided = new Map<string, CidrOutcome>();
  const creations: Creation[] = [];
  for (const c of input.candidates) {
    const here = input.rules.filter((r) => r.cidr === c.cidr);
    const ours = here.filter((r) => r.owner === input.resourceId);
    const specs = input.specsFor(c.family);
    const foreign = specs
      .map((s) => here.find((r) => r.owner !== input.resourceId && specKey(r.spec) === specKey(s)))
      .find((r) => r !== undefined);
    if (foreign) {
      decided.set(c.input, { ok: false, error: unmanaged(input.groupId, c.cidr, foreign) });
      continue;
    }
    const missing = specs.filter((s) => !ours.some((r) => specKey(r.spec) === specKey(s)));
    const existingIds = ours.map((r) => r.id).sort();
    if (missing.length === 0) {
      decided.set(c.input, { ok: true, ruleId: existingIds.join(',') });
    } else if (usage[c.family] + missing.length > input.limit) {
      decided.set(c.input, { ok: false, error: quotaExceeded(input.groupId, c, usage[c.family], missing.length, input.limit) });
    } else {
      usage[c.family] += missing.length;
      creations.push({ ...c, specs: missing, existingIds });
    }
  }
  return { decided, creations };
}

/**
 * Our rules for one CIDR against the configured port ranges: the ranges without a rule, and our
 * rules that allow something not configured (edited by hand, or left from an older port list).
 */
export function compareRules(ours: InboundRule[], specs: RuleSpec[]): { missing: RuleSpec[]; altered: InboundRule[] } {
  const wanted = new Set(specs.map(specKey));
  return {
    missing: specs.filter((s) => !ours.some((r) => specKey(r.spec) === specKey(s))),
    altered: ours.filter((r) => !wanted.has(specKey(r.spec))),
  };
}

/** The audit's words for compareRules: `tcp/443 missing`, `tcp/8443 is not configured (rule sgr-…)`. */
export function ruleProblems(c: { missing: RuleSpec[]; altered: InboundRule[] }): string[] {
  return [
    ...c.missing.map((s) => `${describeSpec(s)} missing`),
    ...c.altered.map((r) => `${describeSpec(r.spec)} is not configured (rule ${r.id})`),
  ];
}

function unmanaged(groupId: string, cidr: string, rule: InboundRule): ProviderError {
  const whose = rule.owner ? `managed by another EntryGuard resource (${rule.owner})` : 'not managed by EntryGuard';
  return new ProviderError(
    'UNMANAGED_RULE_EXISTS',
    `security group ${groupId} already has a rule ${whose} (${rule.id}) allowing ${cidr} on ${describeSpec(rule.spec)}; ` +
      'EntryGuard will not adopt or remove it. That address already has standing access: delete the rule to make access time-bound.',
    { retryable: false },
  );
}

export function quotaExceeded(groupId: string, c: Candidate, used: number, needed: number, limit: number): ProviderError {
  const fam = FAMILY_LABEL[c.family];
  return new ProviderError(
    'QUOTA_EXCEEDED',
    `security group ${groupId} has no room for ${c.cidr}: ${used} of ${limit} ${fam} inbound rules are used and it needs ${needed} more. ` +
      'Use an aws-prefix-list resource for large teams, or raise the AWS quota and maxRulesPerGroup.',
    { retryable: false },
  );
}
