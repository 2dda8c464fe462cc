/**
 * Security-group actions of the EC2 fake: AuthorizeSecurityGroupIngress (atomic, quota per IP
 * family), RevokeSecurityGroupIngress (by rule id or by properties), DescribeSecurityGroups and
 * DescribeSecurityGroupRules (filters, pagination).
 */
import type { Ec2State, SecurityGroup, SgRule, Tag } from './state.ts';
import {
  DESC_RE,
  Ec2Error,
  OWNER,
  checkCidr,
  el,
  filters,
  genId,
  normProto,
  scalarList,
  set,
  structList,
  tagSet,
  type Q,
} from './query.ts';

export function findGroup(state: Ec2State, q: Q): SecurityGroup {
  if (q.GroupId) {
    const g = state.groups.get(q.GroupId);
    if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${q.GroupId}' does not exist`);
    return g;
  }
  if (q.GroupName) {
    const g = [...state.groups.values()].find((x) => x.groupName === q.GroupName);
    if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${q.GroupName}' does not exist in default VPC 'vpc-0abc'`);
    return g;
  }
  throw new Ec2Error('MissingParameter', 'The request must contain the parameter groupId or groupName');
}

/** Expands IpPermissions.N.* into one candidate rule per source (CIDR v4/v6 or prefix list). */
function permsToRules(q: Q, groupId: string, forRevoke: boolean): SgRule[] {
  const perms = structList(q, 'IpPermissions');
  if (perms.length === 0) throw new Ec2Error('MissingParameter', 'No IpPermissions specified');
  const out: SgRule[] = [];
  for (const p of perms) {
    const ipProtocol = normProto(p.IpProtocol);
    if (!ipProtocol) throw new Ec2Error('MissingParameter', 'The request must contain the parameter ipProtocol');
    const ported = ipProtocol === 'tcp' || ipProtocol === 'udp';
    let fromPort = p.FromPort === undefined ? -1 : Number(p.FromPort);
    let toPort = p.ToPort === undefined ? -1 : Number(p.ToPort);
    if (ipProtocol === '-1') [fromPort, toPort] = [-1, -1];
    if (ported && (p.FromPort === undefined || p.ToPort === undefined))
      throw new Ec2Error('InvalidParameterValue', "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
    if (ported && (fromPort < 0 || toPort > 65535 || fromPort > toPort))
      throw new Ec2Error('InvalidParameterValue', `Invalid value '${fromPort}-${toPort}' for portRange`);
    const base = { groupId, isEgress: false, ipProtocol, fromPort, toPort, tags: [] as Tag[] };
    type Source = { cidrIpv4?: string | undefined; cidrIpv6?: string | undefined; prefixListId?: string | undefined; description?: string | undefined };
    const sources: Source[] = [
      ...structList(p, 'IpRanges').map((r) => ({ cidrIpv4: r.CidrIp, description: r.Description })),
      ...structList(p, 'Ipv6Ranges').map((r) => ({ cidrIpv6: r.CidrIpv6, description: r.Description })),
      ...structList(p, 'PrefixListIds').map((r) => ({ prefixListId: r.PrefixListId, description: r.Description })),
    ];
    if (structList(p, 'Groups').length) throw new Ec2Error('InvalidParameterValue', 'security-group sources are not supported by this fake');
    if (sources.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain a source (IpRanges, Ipv6Ranges, PrefixListIds or Groups)');
    for (const s of sources) {
      if (s.cidrIpv4 !== undefined) checkCidr(s.cidrIpv4, false);
      if (s.cidrIpv6 !== undefined) checkCidr(s.cidrIpv6, true);
      if (!forRevoke && s.description !== undefined && !DESC_RE.test(s.description))
        throw new Ec2Error(
          'InvalidParameterValue',
          'Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*',
        );
      out.push({ id: '', ...base, ...s });
    }
  }
  return out;
}

const same = (a: SgRule, b: SgRule): boolean =>
  a.groupId === b.groupId && a.isEgress === b.isEgress && a.ipProtocol === b.ipProtocol && a.fromPort === b.fromPort &&
  a.toPort === b.toPort && a.cidrIpv4 === b.cidrIpv4 && a.cidrIpv6 === b.cidrIpv6 && a.prefixListId === b.prefixListId;

const peer = (r: SgRule): string =>
  `peer: ${r.cidrIpv4 ?? r.cidrIpv6 ?? r.prefixListId}, ${r.ipProtocol === '-1' ? 'ALL' : r.ipProtocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW`;

export function ruleXml(r: SgRule): string {
  return (
    el('securityGroupRuleId', r.id) + el('groupId', r.groupId) + el('groupOwnerId', OWNER) + el('isEgress', r.isEgress) +
    el('ipProtocol', r.ipProtocol) + el('fromPort', r.fromPort) + el('toPort', r.toPort) + el('cidrIpv4', r.cidrIpv4) +
    el('cidrIpv6', r.cidrIpv6) + el('prefixListId', r.prefixListId) + el('description', r.description) + tagSet(r.tags) +
    el('securityGroupRuleArn', `arn:aws:ec2:us-east-1:${OWNER}:security-group-rule/${r.id}`)
  );
}

/** Rules a rule costs against a family's quota: a prefix-list reference costs its max entries (as in AWS). */
function weight(state: Ec2State, r: SgRule, v6: boolean): number {
  if (r.prefixListId) {
    const pl = state.prefixLists.get(r.prefixListId);
    return pl && (pl.addressFamily === 'IPv6') === v6 ? pl.maxEntries : 0;
  }
  return !!r.cidrIpv6 === v6 ? 1 : 0;
}

export function inboundCount(state: Ec2State, groupId: string, v6: boolean, extra: SgRule[] = []): number {
  return [...state.rules.filter((r) => r.groupId === groupId), ...extra]
    .filter((r) => !r.isEgress)
    .reduce((n, r) => n + weight(state, r, v6), 0);
}

function parseTags(q: Q): Tag[] {
  const tags: Tag[] = [];
  for (const ts of structList(q, 'TagSpecification')) {
    if (ts.ResourceType !== 'security-group-rule')
      throw new Ec2Error('InvalidParameterValue', `'${ts.ResourceType}' is not a valid taggable resource type for this operation.`);
    for (const t of structList(ts, 'Tag')) {
      const key = t.Key ?? '';
      if (!key || key.length > 128) throw new Ec2Error('InvalidParameterValue', `Tag key '${key}' must be 1 to 128 characters long`);
      if (key.toLowerCase().startsWith('aws:')) throw new Ec2Error('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
      if ((t.Value ?? '').length > 256) throw new Ec2Error('InvalidParameterValue', 'Tag value exceeds the maximum length of 256 characters');
      tags.push({ key, value: t.Value ?? '' });
    }
  }
  if (tags.length > 50) throw new Ec2Error('TagLimitExceeded', 'The maximum number of tags per resource (50) has been exceeded');
  return tags;
}

export function authorizeIngress(state: Ec2State, q: Q): string {
  const g = findGroup(state, q);
  const candidates = permsToRules(q, g.groupId, false);
  const tags = parseTags(q);
  // Atomic: any duplicate (against existing rules or within the request) fails the whole call.
  const existing = state.rules.filter((r) => r.groupId === g.groupId);
  candidates.forEach((c, i) => {
    if (existing.some((r) => same(r, c)) || candidates.slice(0, i).some((r) => same(r, c)))
      throw new Ec2Error('InvalidPermission.Duplicate', `the specified rule "${peer(c)}" already exists`);
  });
  for (const v6 of [false, true]) {
    if (inboundCount(state, g.groupId, v6, candidates) > state.maxRulesPerGroup)
      throw new Ec2Error('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
  }
  for (const c of candidates) {
    c.id = genId('sgr');
    c.tags = tags.map((t) => ({ ...t }));
    state.rules.push(c);
  }
  return el('return', true) + set('securityGroupRuleSet', candidates.map(ruleXml));
}

export function revokeIngress(state: Ec2State, q: Q): string {
  const g = findGroup(state, q);
  const ids = scalarList(q, 'SecurityGroupRuleId');
  const victims = ids.length
    ? ids.map((id) => {
        const r = state.rules.find((x) => x.id === id && x.groupId === g.groupId && !x.isEgress);
        if (!r) throw new Ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
        return r;
      })
    : permsToRules(q, g.groupId, true).map((c) => {
        const r = state.rules.find((x) => same(x, c));
        // Non-default VPC semantics: an error and nothing revoked.
        if (!r) throw new Ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
        return r;
      });
  state.rules = state.rules.filter((r) => !victims.includes(r));
  const revoked = victims.map(
    (r) =>
      el('securityGroupRuleId', r.id) + el('groupId', r.groupId) + el('isEgress', r.isEgress) + el('ipProtocol', r.ipProtocol) +
      el('fromPort', r.fromPort) + el('toPort', r.toPort) + el('cidrIpv4', r.cidrIpv4) + el('cidrIpv6', r.cidrIpv6) +
      el('prefixListId', r.prefixListId) + el('description', r.description),
  );
  return el('return', true) + set('revokedSecurityGroupRuleSet', revoked);
}

function ipPermissionsXml(rules: SgRule[]): string[] {
  const byKey = new Map<string, SgRule[]>();
  for (const r of rules) {
    const k = `${r.ipProtocol}/${r.fromPort}/${r.toPort}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  return [...byKey.values()].map((rs) => {
    const r0 = rs[0]!;
    const ranges = (pick: (r: SgRule) => string | undefined, tag: string) =>
      rs.filter(pick).map((r) => el(tag, pick(r)) + el('description', r.description));
    return (
      el('ipProtocol', r0.ipProtocol) + (r0.ipProtocol === '-1' ? '' : el('fromPort', r0.fromPort) + el('toPort', r0.toPort)) + '<groups/>' +
      set('ipRanges', ranges((r) => r.cidrIpv4, 'cidrIp')) + set('ipv6Ranges', ranges((r) => r.cidrIpv6, 'cidrIpv6')) +
      set('prefixListIds', ranges((r) => r.prefixListId, 'prefixListId'))
    );
  });
}

export function describeGroups(state: Ec2State, q: Q): string {
  let groups = [...state.groups.values()];
  const ids = scalarList(q, 'GroupId');
  for (const id of ids) if (!state.groups.has(id)) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  if (ids.length) groups = groups.filter((g) => ids.includes(g.groupId));
  for (const f of filters(q)) {
    groups = groups.filter((g) =>
      f.name === 'group-id' ? f.values.includes(g.groupId)
        : f.name === 'group-name' ? f.values.includes(g.groupName)
          : f.name === 'vpc-id' ? f.values.includes(g.vpcId)
            : f.name.startsWith('tag:') ? g.tags.some((t) => t.key === f.name.slice(4) && f.values.includes(t.value))
              : true,
    );
  }
  const item = (g: SecurityGroup) => {
    const rules = state.rules.filter((r) => r.groupId === g.groupId);
    return (
      el('ownerId', g.ownerId) + el('groupId', g.groupId) + el('groupName', g.groupName) + el('groupDescription', g.description) +
      el('vpcId', g.vpcId) + el('securityGroupArn', `arn:aws:ec2:us-east-1:${OWNER}:security-group/${g.groupId}`) +
      set('ipPermissions', ipPermissionsXml(rules.filter((r) => !r.isEgress))) +
      set('ipPermissionsEgress', ipPermissionsXml(rules.filter((r) => r.isEgress))) + tagSet(g.tags)
    );
  };
  return set('securityGroupInfo', groups.map(item));
}

export function describeRules(state: Ec2State, q: Q): string {
  let rules = [...state.rules];
  const ids = scalarList(q, 'SecurityGroupRuleId');
  if (ids.length) {
    for (const id of ids)
      if (!rules.some((r) => r.id === id)) throw new Ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
    rules = rules.filter((r) => ids.includes(r.id));
  }
  for (const f of filters(q)) {
    if (f.name === 'group-id') {
      // Like any EC2 filter, an unknown group id just matches nothing (no NotFound error).
      rules = rules.filter((r) => f.values.includes(r.groupId));
    } else if (f.name === 'security-group-rule-id') rules = rules.filter((r) => f.values.includes(r.id));
    else if (f.name.startsWith('tag:')) rules = rules.filter((r) => r.tags.some((t) => t.key === f.name.slice(4) && f.values.includes(t.value)));
    else if (f.name === 'tag-key') rules = rules.filter((r) => r.tags.some((t) => f.values.includes(t.key)));
    else throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
  const max = q.MaxResults ? Number(q.MaxResults) : 1000;
  if (q.MaxResults && (max < 5 || max > 1000))
    throw new Ec2Error('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  const start = q.NextToken ? Number(Buffer.from(q.NextToken, 'base64url').toString()) : 0;
  const page = rules.slice(start, start + max);
  const next = start + max < rules.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return set('securityGroupRuleSet', page.map(ruleXml)) + el('nextToken', next);
}
