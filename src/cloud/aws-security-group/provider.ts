/**
 * `aws-security-group`: one inbound rule per CIDR × configured port range in a security group,
 * described `entryguard:<resourceId>` and tagged `entryguard:resource=<resourceId>`.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  ProviderError,
  type ApplyResult,
  type CidrOutcome,
  type FirewallProvider,
  type ProviderEntry,
  type ResourceTarget,
} from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { parseCidr, type Family } from '../cidr.ts';
import { cidrsToEnsure, toEntry } from '../drift.ts';
import { createEc2Clients } from '../aws/client.ts';
import { toProviderError, type AwsErrorContext } from '../aws/errors.ts';
import { parseResourceConfig, requireRegion } from '../aws/target.ts';
import { AwsSecurityGroupConfig } from './config.ts';
import { readInboundRules, ruleUsage, type InboundRule } from './group-rules.ts';
import { authorizeBatch, revokeRules } from './mutations.ts';
import { portsProblem, ruleSpecs, type RuleSpec } from './permissions.ts';
import { compareRules, planAdds, ruleProblems, type Candidate, type Creation } from './plan.ts';
import { verifySecurityGroup } from './verify.ts';
import { credentialKey, warmUpByClient } from '../warm-up.ts';

/** Rounds of read → plan → write when concurrent writers keep changing the group. */
const MAX_ROUNDS = 3;

export interface GroupContext {
  ec2: EC2Client;
  groupId: string;
  config: AwsSecurityGroupConfig;
  /**
   * A bad config or ports list. It blocks additions (and verify) but not list() or removals:
   * revoking our own rules by id needs neither, and a typo must not leave access behind.
   */
  problem?: ProviderError | undefined;
  specsFor(family: Family): RuleSpec[];
  err: AwsErrorContext;
}

export function createAwsSecurityGroupProvider(deps: ProviderDeps): FirewallProvider {
  const clients = createEc2Clients(deps);

  async function context(resource: ResourceTarget): Promise<GroupContext> {
    let config = AwsSecurityGroupConfig.parse({});
    let problem: ProviderError | undefined;
    try {
      config = parseResourceConfig(AwsSecurityGroupConfig, resource);
    } catch (e) {
      problem = e as ProviderError;
    }
    const badPorts = portsProblem(resource.ports);
    if (badPorts && !problem) problem = new ProviderError('INVALID_RESOURCE', `resource "${resource.name}": ${badPorts}`, { retryable: false });
    const region = requireRegion(resource);
    const ec2 = await clients.forResource(resource);
    const err = { target: `security group ${resource.identifier} in ${region}`, credential: resource.credential?.name };
    return { ec2, groupId: resource.identifier, config, problem, specsFor: (f) => ruleSpecs(resource.ports, f), err };
  }

  async function read(ctx: GroupContext, ownerId?: string): Promise<InboundRule[]> {
    try {
      return await readInboundRules(ctx.ec2, ctx.groupId, ownerId);
    } catch (e) {
      throw toProviderError(e, { ...ctx.err, action: 'DescribeSecurityGroupRules' });
    }
  }

  /**
   * Revokes every rule of ours for `cidrs`, plus `altered` (rules of ours for CIDRs being ensured
   * that allow what is not configured), in one call. `error` is set when that call failed.
   */
  async function remove(resource: ResourceTarget, ctx: GroupContext, rules: InboundRule[], cidrs: string[], altered: InboundRule[]) {
    const outcomes = new Map<string, CidrOutcome>();
    // Only our own rules are ever revoked; a CIDR we hold nothing for is already removed.
    const ours = rules.filter((r) => r.owner === resource.id);
    const idsOf = new Map(
      cidrs.map((input) => {
        const cidr = parseCidr(input)?.cidr;
        return [input, cidr ? ours.filter((r) => r.cidr === cidr).map((r) => r.id) : []] as const;
      }),
    );
    const ids = [...new Set([...[...idsOf.values()].flat(), ...altered.map((r) => r.id)])];
    try {
      if (ids.length) await revokeRules(ctx.ec2, ctx.groupId, ids, async () => new Set((await read(ctx, resource.id)).map((r) => r.id)));
      for (const input of cidrs) outcomes.set(input, { ok: true });
      return { outcomes, revoked: new Set(ids), error: undefined };
    } catch (e) {
      const error = toProviderError(e, { ...ctx.err, action: 'RevokeSecurityGroupIngress' });
      for (const input of cidrs) outcomes.set(input, idsOf.get(input)!.length ? { ok: false, error } : { ok: true });
      return { outcomes, revoked: new Set<string>(), error };
    }
  }

  /** Per CIDR to ensure, our rules for it that allow a protocol or port range that is not configured. */
  function alteredRules(resource: ResourceTarget, ctx: GroupContext, rules: InboundRule[], cidrs: string[]): Map<string, InboundRule[]> {
    const altered = new Map<string, InboundRule[]>();
    if (ctx.problem) return altered; // what is configured is unknown: additions fail anyway
    for (const input of cidrs) {
      const parsed = parseCidr(input);
      if (!parsed) continue;
      const ours = rules.filter((r) => r.owner === resource.id && r.cidr === parsed.cidr);
      const stale = compareRules(ours, ctx.specsFor(parsed.family)).altered;
      if (stale.length) altered.set(input, stale);
    }
    return altered;
  }

  async function add(resource: ResourceTarget, ctx: GroupContext, initial: InboundRule[], cidrs: string[]) {
    const outcomes = new Map<string, CidrOutcome>();
    if (ctx.problem) return new Map(cidrs.map((input) => [input, { ok: false, error: ctx.problem! }] as const));
    let pending: Candidate[] = [];
    for (const input of cidrs) {
      const parsed = parseCidr(input);
      if (parsed) pending.push({ input, ...parsed });
      else outcomes.set(input, { ok: false, error: new ProviderError('INVALID_CIDR', invalidCidr(input), { retryable: false }) });
    }
    let rules = initial;
    for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
      if (round > 0) rules = await read(ctx);
      const usage = await ruleUsage(ctx.ec2, rules);
      const plan = planAdds({
        candidates: pending,
        rules,
        usage,
        limit: ctx.config.maxRulesPerGroup,
        specsFor: ctx.specsFor,
        resourceId: resource.id,
        groupId: ctx.groupId,
      });
      for (const [input, outcome] of plan.decided) outcomes.set(input, outcome);
      const raced: Creation[] = [];
      await authorizeBatch(ctx.ec2, resource, ctx.groupId, plan.creations, { ...ctx.err, action: 'AuthorizeSecurityGroupIngress' }, {
        ok: (c, ids) => outcomes.set(c.input, { ok: true, ruleId: ids.join(',') }),
        failed: (c, error) => outcomes.set(c.input, { ok: false, error }),
        raced: (c) => raced.push(c),
      });
      pending = raced;
    }
    const busy = `security group ${ctx.groupId} kept changing while rules were added; it will be retried`;
    const conflict = new ProviderError('CONFLICT', busy, { retryable: true });
    for (const c of pending) outcomes.set(c.input, { ok: false, error: conflict });
    return outcomes;
  }

  return {
    kind: 'aws-security-group',
    listsForeignEntries: false,

    verify: (resource) => verifySecurityGroup(resource, () => context(resource)),

    // Resolves the credentials and opens the connection with one read of a group per client.
    warmUp: warmUpByClient(
      deps.logger,
      (resource) => JSON.stringify([...credentialKey(resource), resource.region]),
      async (resource) => read(await context(resource), resource.id),
    ),

    async list(resource): Promise<ProviderEntry[]> {
      const ctx = await context(resource);
      const byCidr = new Map<string, { family: Family; rules: InboundRule[] }>();
      for (const r of await read(ctx, resource.id)) {
        if (!r.cidr || !r.family || r.owner !== resource.id) continue;
        byCidr.set(r.cidr, { family: r.family, rules: [...(byCidr.get(r.cidr)?.rules ?? []), r] });
      }
      return [...byCidr].map(([cidr, { family, rules }]) => {
        // With a bad ports list nothing can be compared; additions report that problem instead.
        const problems = ctx.problem ? [] : ruleProblems(compareRules(rules, ctx.specsFor(family)));
        return toEntry(cidr, rules.map((r) => r.id).sort().join(','), problems);
      });
    },

    async apply(resource, change): Promise<ApplyResult> {
      const ctx = await context(resource);
      const rules = await read(ctx);
      const ensure = cidrsToEnsure(change);
      // Removals first, with our altered rules of CIDRs being ensured: they free quota for the additions.
      const altered = alteredRules(resource, ctx, rules, ensure);
      const { outcomes: removed, revoked, error } = await remove(resource, ctx, rules, change.remove, [...altered.values()].flat());
      const added = await add(resource, ctx, rules.filter((r) => !revoked.has(r.id)), ensure);
      // A CIDR whose altered rule is still there is not as configured, whatever was added for it.
      for (const input of altered.keys()) if (error && added.get(input)?.ok) added.set(input, { ok: false, error });
      return { added, removed };
    },
  };
}

const invalidCidr = (input: string) => `"${input}" is not a valid CIDR (host bits must be zero)`;
