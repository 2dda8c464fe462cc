/**
 * The two writes: a batched AuthorizeSecurityGroupIngress (IpRanges for IPv4, Ipv6Ranges for IPv6,
 * description + tag marking the rules ours) and RevokeSecurityGroupIngress by rule id.
 */
import type { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '../aws/sdk.ts';
import { ProviderError, type ResourceTarget } from '../../engine/ports.ts';
import { canonicalCidr } from '../cidr.ts';
import { awsErrorDetail, hasAwsCode, toProviderError, type AwsErrorContext } from '../aws/errors.ts';
import { ownerMarker, RESOURCE_TAG_KEY } from '../aws/target.ts';
import { specKey } from './permissions.ts';
import type { Creation } from './plan.ts';

/** Codes that may concern only some CIDRs of a batch: split the batch to find which. */
const SPLITTABLE = [
  'InvalidPermission.Duplicate', 'RulesPerSecurityGroupLimitExceeded', 'InvalidParameterValue', 'InvalidParameter',
  'InvalidPermission.Malformed', 'InvalidParameterCombination',
];

export interface AuthorizeSink {
  ok(c: Creation, ruleIds: string[]): void;
  failed(c: Creation, error: ProviderError): void;
  /** A rule appeared since we read the group (a concurrent writer): re-read and plan again. */
  raced(c: Creation): void;
}

export function authorizeInput(resource: ResourceTarget, groupId: string, batch: Creation[], dryRun = false) {
  const marker = ownerMarker(resource);
  const perms = new Map<string, IpPermission>();
  for (const c of batch) {
    for (const s of c.specs) {
      const key = specKey(s);
      const perm = perms.get(key) ?? {
        IpProtocol: s.ipProtocol,
        ...(s.ipProtocol === '-1' ? {} : { FromPort: s.fromPort, ToPort: s.toPort }),
      };
      if (c.family === 'v4') perm.IpRanges = [...(perm.IpRanges ?? []), { CidrIp: c.cidr, Description: marker }];
      else perm.Ipv6Ranges = [...(perm.Ipv6Ranges ?? []), { CidrIpv6: c.cidr, Description: marker }];
      perms.set(key, perm);
    }
  }
  return {
    GroupId: groupId,
    IpPermissions: [...perms.values()],
    TagSpecifications: [{ ResourceType: 'security-group-rule' as const, Tags: [{ Key: RESOURCE_TAG_KEY, Value: resource.id }] }],
    ...(dryRun ? { DryRun: true } : {}),
  };
}

/**
 * Creates the rules of `batch` in one call. When AWS refuses the call for a reason that may
 * concern only some CIDRs (duplicate, quota, invalid value), the batch is halved until each
 * failure is pinned to its CIDR, so the CIDRs that fit are still applied.
 */
export async function authorizeBatch(
  ec2: EC2Client,
  resource: ResourceTarget,
  groupId: string,
  batch: Creation[],
  ctx: AwsErrorContext,
  sink: AuthorizeSink,
): Promise<void> {
  if (batch.length === 0) return;
  try {
    const out = await ec2.send(new AuthorizeSecurityGroupIngressCommand(authorizeInput(resource, groupId, batch)));
    const created = new Map<string, string[]>();
    for (const r of out.SecurityGroupRules ?? []) {
      const cidr = r.CidrIpv4 ?? r.CidrIpv6;
      if (cidr && r.SecurityGroupRuleId) created.set(canonicalCidr(cidr), [...(created.get(canonicalCidr(cidr)) ?? []), r.SecurityGroupRuleId]);
    }
    for (const c of batch) sink.ok(c, [...c.existingIds, ...(created.get(c.cidr) ?? [])].sort());
  } catch (err) {
    if (batch.length > 1 && hasAwsCode(err, ...SPLITTABLE)) {
      const mid = Math.ceil(batch.length / 2);
      await authorizeBatch(ec2, resource, groupId, batch.slice(0, mid), ctx, sink);
      await authorizeBatch(ec2, resource, groupId, batch.slice(mid), ctx, sink);
      return;
    }
    if (hasAwsCode(err, 'InvalidPermission.Duplicate')) return batch.forEach((c) => sink.raced(c));
    const error = hasAwsCode(err, 'RulesPerSecurityGroupLimitExceeded')
      ? new ProviderError(
          'QUOTA_EXCEEDED',
          `AWS refused another rule in ${groupId}: the group's rule quota is full (the account quota may be lower than maxRulesPerGroup)`,
          { retryable: false, cause: awsErrorDetail(err) },
        )
      : toProviderError(err, ctx);
    for (const c of batch) sink.failed(c, error);
  }
}

/**
 * Revokes rules by id. Returns normally when they are all gone (also when some were already
 * removed by someone else: AWS then refuses the whole call, so the survivors are revoked again).
 */
export async function revokeRules(
  ec2: EC2Client,
  groupId: string,
  ruleIds: string[],
  stillThere: () => Promise<Set<string>>,
): Promise<void> {
  let ids = ruleIds;
  for (let attempt = 0; ids.length > 0; attempt++) {
    try {
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
      return;
    } catch (err) {
      if (attempt >= 2 || !hasAwsCode(err, 'InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound')) throw err;
      const present = await stillThere();
      ids = ids.filter((id) => present.has(id));
    }
  }
}
