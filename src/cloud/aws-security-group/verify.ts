/**
 * verify() for a security group: can we read it, may we add and revoke rules (DryRun), and how
 * many more CIDRs fit per IP family. Never throws: an unreachable or forbidden target is the answer.
 */
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '../aws/sdk.ts';
import type { ResourceTarget, VerifyResult } from '../../engine/ports.ts';
import { dryRun } from '../aws/dry-run.ts';
import { toProviderError } from '../aws/errors.ts';
import { readInboundRules, ruleUsage } from './group-rules.ts';
import { authorizeInput } from './mutations.ts';
import type { GroupContext } from './provider.ts';

/** A documentation address (RFC 5737): the dry run names a rule nobody would really hold. */
const PROBE_CIDR = '192.0.2.1/32';

export async function verifySecurityGroup(resource: ResourceTarget, context: () => Promise<GroupContext>): Promise<VerifyResult> {
  const unknown = { v4: null, v6: null };
  let ctx: GroupContext;
  try {
    ctx = await context();
    if (ctx.problem) throw ctx.problem;
  } catch (e) {
    return { reachable: false, permitted: false, capacityLeft: unknown, message: toProviderError(e, { target: resource.identifier }).message };
  }
  let usage;
  try {
    usage = await ruleUsage(ctx.ec2, await readInboundRules(ctx.ec2, ctx.groupId));
  } catch (e) {
    const error = toProviderError(e, { ...ctx.err, action: 'DescribeSecurityGroupRules' });
    // AWS answered but said no: reachable, not permitted. Anything else: not reachable.
    const answered = error.code === 'FORBIDDEN' || error.code === 'AUTH_FAILED';
    return { reachable: answered, permitted: false, capacityLeft: unknown, message: error.message };
  }
  const probe = [{ input: PROBE_CIDR, cidr: PROBE_CIDR, family: 'v4' as const, specs: ctx.specsFor('v4').slice(0, 1), existingIds: [] }];
  const input = authorizeInput(resource, ctx.groupId, probe, true);
  const checks = await Promise.all([
    dryRun(() => ctx.ec2.send(new AuthorizeSecurityGroupIngressCommand(input)), { ...ctx.err, action: 'AuthorizeSecurityGroupIngress' }),
    dryRun(
      () => ctx.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: ctx.groupId, IpPermissions: input.IpPermissions, DryRun: true })),
      { ...ctx.err, action: 'RevokeSecurityGroupIngress' },
    ),
  ]);
  const limit = ctx.config.maxRulesPerGroup;
  // The port speaks in CIDRs: each CIDR costs one rule per configured port range.
  const left = (used: number, perCidr: number) => Math.max(0, Math.floor((limit - used) / Math.max(1, perCidr)));
  const capacityLeft = { v4: left(usage.v4, ctx.specsFor('v4').length), v6: left(usage.v6, ctx.specsFor('v6').length) };
  const denied = checks.filter((c) => !c.permitted).map((c) => c.reason);
  return {
    reachable: true,
    permitted: denied.length === 0,
    capacityLeft,
    message: denied.length
      ? denied.join('; ')
      : `${usage.v4}/${limit} IPv4 and ${usage.v6}/${limit} IPv6 inbound rules in use`,
  };
}
