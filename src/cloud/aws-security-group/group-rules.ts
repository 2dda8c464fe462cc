/** Reads a security group's inbound rules and sorts them into ours and everyone else's. */
import type { EC2Client, Filter, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { DescribeManagedPrefixListsCommand, DescribeSecurityGroupsCommand, paginateDescribeSecurityGroupRules } from '../aws/sdk.ts';
import { canonicalCidr, type Family } from '../cidr.ts';
import { RESOURCE_TAG_KEY } from '../aws/target.ts';
import { normaliseProtocol, type RuleSpec } from './permissions.ts';

export interface InboundRule {
  id: string;
  spec: RuleSpec;
  /** Canonical CIDR, when the rule's source is a CIDR. */
  cidr?: string | undefined;
  family?: Family | undefined;
  prefixListId?: string | undefined;
  /** The EntryGuard resource id in the rule's tag, if any. */
  owner?: string | undefined;
}

/**
 * Inbound rules of `groupId` (all of them, or only those tagged for `ownerId`). Filters never fail
 * on an unknown group, so an empty answer is confirmed with DescribeSecurityGroups, which raises
 * InvalidGroup.NotFound. SDK errors propagate (callers map them).
 */
export async function readInboundRules(ec2: EC2Client, groupId: string, ownerId?: string): Promise<InboundRule[]> {
  const filters: Filter[] = [{ Name: 'group-id', Values: [groupId] }];
  if (ownerId) filters.push({ Name: `tag:${RESOURCE_TAG_KEY}`, Values: [ownerId] });
  const raw: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2, pageSize: 1000 }, { Filters: filters })) {
    raw.push(...(page.SecurityGroupRules ?? []));
  }
  if (raw.length === 0) await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return raw.filter((r) => r.IsEgress !== true && r.SecurityGroupRuleId).map(toInboundRule);
}

function toInboundRule(r: SecurityGroupRule): InboundRule {
  const cidrText = r.CidrIpv4 ?? r.CidrIpv6;
  return {
    id: r.SecurityGroupRuleId!,
    spec: { ipProtocol: normaliseProtocol(r.IpProtocol), fromPort: r.FromPort ?? -1, toPort: r.ToPort ?? -1 },
    cidr: cidrText ? canonicalCidr(cidrText) : undefined,
    family: r.CidrIpv4 ? 'v4' : r.CidrIpv6 ? 'v6' : undefined,
    prefixListId: r.PrefixListId,
    owner: r.Tags?.find((t) => t.Key === RESOURCE_TAG_KEY)?.Value,
  };
}

export interface RuleUsage {
  v4: number;
  v6: number;
}

/**
 * Inbound rules counted against the per-family quota. A prefix-list reference costs its max
 * entries in its family, as in AWS. Rules whose weight we cannot learn (a security-group
 * reference, an unreadable prefix list) count as one IPv4 rule: an undercount is safe, because
 * AWS's own RulesPerSecurityGroupLimitExceeded is still handled CIDR by CIDR.
 */
export async function ruleUsage(ec2: EC2Client, rules: InboundRule[]): Promise<RuleUsage> {
  const usage: RuleUsage = { v4: 0, v6: 0 };
  const listIds = [...new Set(rules.flatMap((r) => (r.prefixListId ? [r.prefixListId] : [])))];
  const weights = new Map<string, { family: Family; maxEntries: number }>();
  if (listIds.length) {
    try {
      const out = await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: listIds }));
      for (const pl of out.PrefixLists ?? []) {
        if (pl.PrefixListId && pl.MaxEntries)
          weights.set(pl.PrefixListId, { family: pl.AddressFamily === 'IPv6' ? 'v6' : 'v4', maxEntries: pl.MaxEntries });
      }
    } catch {
      // Counted as one rule each (see above).
    }
  }
  for (const r of rules) {
    const w = r.prefixListId ? weights.get(r.prefixListId) : undefined;
    if (w) usage[w.family] += w.maxEntries;
    else usage[r.family ?? 'v4'] += 1;
  }
  return usage;
}
