import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import { RESOURCE_TAG_KEY } from '../../src/cloud/aws/target.ts';
import type { CidrOutcome, FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';

const A = '198.51.100.7/32';
const B = '198.51.100.8/32';
const C = '203.0.113.9/32';
const V6A = '2001:db8::7/128';
const V6B = '2001:db8:1::9/128';

function failure(o: CidrOutcome | undefined) {
  if (!o || o.ok) throw new Error(`expected a failure, got ${JSON.stringify(o)}`);
  return o.error;
}

describe('aws-security-group provider', () => {
  let fake: FakeEc2;
  let provider: FirewallProvider;
  let resource: ResourceTarget;

  beforeAll(async () => {
    fake = await startFakeEc2();
    provider = createAwsSecurityGroupProvider(awsTestDeps(fake));
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.clearFaults();
    fake.maxRulesPerGroup = 60;
    resource = awsResource('aws-security-group', fake.addGroup().groupId);
  });

  const ours = (r: ResourceTarget) => fake.inboundRules(r.identifier, { key: RESOURCE_TAG_KEY, value: r.id });

  it('creates one marked rule per CIDR and port range in a single batched call', async () => {
    resource.ports = [{ protocol: 'tcp', from: 22, to: 22 }, { protocol: 'udp', from: 51820 }];
    fake.resetCalls();
    const result = await provider.apply(resource, { add: [A, B, V6A], remove: [] });
    expect(fake.calls.AuthorizeSecurityGroupIngress).toBe(1);
    for (const cidr of [A, B, V6A]) expect(result.added.get(cidr)).toMatchObject({ ok: true });
    const rules = ours(resource);
    expect(rules).toHaveLength(6);
    expect(rules.every((r) => r.description === `entryguard:${resource.id}`)).toBe(true);
    expect(rules.filter((r) => r.ipProtocol === 'udp').map((r) => [r.fromPort, r.toPort])).toEqual([[51820, 51820], [51820, 51820], [51820, 51820]]);
    const listed = await provider.list(resource);
    expect(listed?.map((e) => e.cidr).sort()).toEqual([A, B, V6A].sort());
    const entryA = listed?.find((e) => e.cidr === A);
    expect(entryA?.ruleId?.split(',')).toHaveLength(2);
    expect((result.added.get(A) as { ruleId?: string }).ruleId).toBe(entryA?.ruleId);
  });

  it('maps icmp to icmpv6 for IPv6 and all to protocol -1', async () => {
    resource.ports = [{ protocol: 'icmp' }, { protocol: 'all' }];
    await provider.apply(resource, { add: [A, V6A], remove: [] });
    const protocols = ours(resource).map((r) => `${r.cidrIpv4 ?? r.cidrIpv6} ${r.ipProtocol}`).sort();
    expect(protocols).toEqual([`${V6A} -1`, `${V6A} icmpv6`, `${A} -1`, `${A} icmp`].sort());
  });

  describe('a rule that is not ours', () => {
    it('is never adopted: the CIDR fails permanently and the rule stays as it was', async () => {
      const foreign = fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 22, to: 22, cidr: A, description: 'bastion' });
      const result = await provider.apply(resource, { add: [A, B], remove: [] });
      const error = failure(result.added.get(A));
      expect(error).toMatchObject({ code: 'UNMANAGED_RULE_EXISTS', retryable: false });
      expect(error.message).toContain('not managed by EntryGuard');
      expect(error.message).toContain(foreign.id);
      expect(result.added.get(B)).toMatchObject({ ok: true });
      expect(fake.inboundRules(resource.identifier).find((r) => r.id === foreign.id)).toEqual(foreign);
      expect((await provider.list(resource))?.map((e) => e.cidr)).toEqual([B]);
    });

    it('is never removed, and removing its CIDR is ok (we hold nothing there)', async () => {
      const foreign = fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 22, to: 22, cidr: A });
      const result = await provider.apply(resource, { add: [], remove: [A] });
      expect(result.removed.get(A)).toMatchObject({ ok: true });
      expect(fake.inboundRules(resource.identifier).map((r) => r.id)).toEqual([foreign.id]);
    });

    it('names another EntryGuard resource when the rule is tagged for it', async () => {
      fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 22, to: 22, cidr: A, tags: [{ key: RESOURCE_TAG_KEY, value: 'other-resource' }] });
      const result = await provider.apply(resource, { add: [A], remove: [] });
      expect(failure(result.added.get(A)).message).toContain('another EntryGuard resource (other-resource)');
    });

    it('appearing between our read and our write (a race) is still not adopted', async () => {
      fake.beforeNext('AuthorizeSecurityGroupIngress', () => {
        fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 22, to: 22, cidr: B });
      });
      const result = await provider.apply(resource, { add: [A, B, C], remove: [] });
      expect(result.added.get(A)).toMatchObject({ ok: true });
      expect(failure(result.added.get(B)).code).toBe('UNMANAGED_RULE_EXISTS');
      expect(result.added.get(C)).toMatchObject({ ok: true });
      expect(ours(resource).map((r) => r.cidrIpv4).sort()).toEqual([A, C]);
    });

    it('a foreign rule on another port does not block ours', async () => {
      fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 443, to: 443, cidr: A });
      const result = await provider.apply(resource, { add: [A], remove: [] });
      expect(result.added.get(A)).toMatchObject({ ok: true });
    });
  });

  describe('quota', () => {
    it('counts foreign rules and IPv4/IPv6 apart, applying what fits', async () => {
      for (let i = 0; i < 59; i++) fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 2000 + i, to: 2000 + i, cidr: '10.0.0.0/8' });
      fake.resetCalls();
      const result = await provider.apply(resource, { add: [A, B, V6A, V6B], remove: [] });
      expect(result.added.get(A)).toMatchObject({ ok: true });
      const error = failure(result.added.get(B));
      expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
      expect(error.message).toContain('60 of 60 IPv4');
      expect(result.added.get(V6A)).toMatchObject({ ok: true });
      expect(result.added.get(V6B)).toMatchObject({ ok: true });
      // Decided before calling AWS: one call, which AWS accepted.
      expect(fake.calls.AuthorizeSecurityGroupIngress).toBe(1);
    });

    it('uses maxRulesPerGroup from the config and a CIDR costs one rule per port range', async () => {
      resource.config = { maxRulesPerGroup: 5 };
      resource.ports = [{ protocol: 'tcp', from: 22, to: 22 }, { protocol: 'tcp', from: 443, to: 443 }];
      const result = await provider.apply(resource, { add: [A, B, C], remove: [] });
      expect(result.added.get(A)).toMatchObject({ ok: true });
      expect(result.added.get(B)).toMatchObject({ ok: true });
      expect(failure(result.added.get(C)).code).toBe('QUOTA_EXCEEDED');
      expect(ours(resource)).toHaveLength(4);
    });

    it('frees room with removals in the same change', async () => {
      resource.config = { maxRulesPerGroup: 2 };
      await provider.apply(resource, { add: [A, B], remove: [] });
      const result = await provider.apply(resource, { add: [C], remove: [A] });
      expect(result.removed.get(A)).toMatchObject({ ok: true });
      expect(result.added.get(C)).toMatchObject({ ok: true });
    });

    it('counts a referenced prefix list as its max entries', async () => {
      const pl = fake.addPrefixList({ maxEntries: 58 });
      fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 5432, to: 5432, prefixListId: pl.id });
      const result = await provider.apply(resource, { add: [A, B, C], remove: [] });
      expect([A, B].map((c) => result.added.get(c)?.ok)).toEqual([true, true]);
      expect(failure(result.added.get(C)).code).toBe('QUOTA_EXCEEDED');
    });

    it('still pins AWS quota errors to CIDRs when the real quota is lower than configured', async () => {
      fake.maxRulesPerGroup = 2;
      fake.resetCalls();
      const result = await provider.apply(resource, { add: [A, B, C], remove: [] });
      expect([A, B].map((c) => result.added.get(c)?.ok)).toEqual([true, true]);
      expect(failure(result.added.get(C))).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
      expect(ours(resource)).toHaveLength(2);
      expect(fake.calls.AuthorizeSecurityGroupIngress).toBeGreaterThan(1);
    });
  });

  it('removes only its own rules, also when one was already deleted by hand', async () => {
    resource.ports = [{ protocol: 'tcp', from: 22, to: 22 }, { protocol: 'tcp', from: 443, to: 443 }];
    await provider.apply(resource, { add: [A, B], remove: [] });
    const gone = ours(resource).find((r) => r.cidrIpv4 === A)!;
    fake.beforeNext('RevokeSecurityGroupIngress', () => fake.removeRule(gone.id));
    const result = await provider.apply(resource, { add: [], remove: [A] });
    expect(result.removed.get(A)).toMatchObject({ ok: true });
    expect(ours(resource).map((r) => r.cidrIpv4)).toEqual([B, B]);
  });

  it('refuses a bad config, missing region or empty ports permanently', async () => {
    const typo = { ...resource, config: { maxRulesPerSG: 5 } };
    expect(failure((await provider.apply(typo, { add: [A], remove: [] })).added.get(A))).toMatchObject({ code: 'INVALID_CONFIG', retryable: false });
    expect(await provider.verify(typo)).toMatchObject({ reachable: false, permitted: false });
    await expect(provider.list({ ...resource, region: null })).rejects.toMatchObject({ code: 'INVALID_RESOURCE', retryable: false });
    const noPorts = { ...resource, ports: [] };
    expect(failure((await provider.apply(noPorts, { add: [A], remove: [] })).added.get(A)).code).toBe('INVALID_RESOURCE');
    const result = await provider.apply(resource, { add: ['10.0.0.5/24', 'nonsense'], remove: ['nonsense'] });
    expect(failure(result.added.get('10.0.0.5/24')).code).toBe('INVALID_CIDR');
    expect(result.removed.get('nonsense')).toMatchObject({ ok: true });
  });

  it('still lists and removes its rules when the config or ports became invalid', async () => {
    await provider.apply(resource, { add: [A, B], remove: [] });
    const broken = { ...resource, ports: [], config: { typo: true } };
    expect((await provider.list(broken))?.map((e) => e.cidr).sort()).toEqual([A, B]);
    expect((await provider.apply(broken, { add: [], remove: [A] })).removed.get(A)).toMatchObject({ ok: true });
    expect(ours(resource).map((r) => r.cidrIpv4)).toEqual([B]);
  });

  it('reports a missing security group as NOT_FOUND', async () => {
    const missing = { ...resource, identifier: 'sg-0123456789abcdef0' };
    await expect(provider.apply(missing, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'NOT_FOUND', retryable: false });
    await expect(provider.list(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('verify', () => {
    it('is reachable, permitted and counts capacity in CIDRs per family', async () => {
      for (let i = 0; i < 10; i++) fake.addForeignRule(resource.identifier, { protocol: 'udp', from: 3000 + i, to: 3000 + i, cidr: '10.0.0.0/8' });
      resource.ports = [{ protocol: 'tcp', from: 22, to: 22 }, { protocol: 'tcp', from: 443, to: 443 }];
      fake.resetCalls();
      const v = await provider.verify(resource);
      expect(v).toMatchObject({ reachable: true, permitted: true, capacityLeft: { v4: 25, v6: 30 } });
      expect(fake.calls.AuthorizeSecurityGroupIngress).toBe(1);
      expect(fake.requests.filter((r) => r.action.endsWith('Ingress')).every((r) => r.params.DryRun === 'true')).toBe(true);
      expect(fake.inboundRules(resource.identifier)).toHaveLength(10);
    });

    it('is not permitted when the credential may not authorize ingress', async () => {
      const key = 'AKIDREADONLY';
      fake.addAccessKey(key);
      fake.denyActions(['AuthorizeSecurityGroupIngress'], key);
      const p = createAwsSecurityGroupProvider(awsTestDeps(fake, { secrets: { 'env:RO': JSON.stringify({ accessKeyId: key, secretAccessKey: 'x' }) } }));
      const v = await p.verify({ ...resource, credential: { ...resource.credential!, secretRef: 'env:RO' } });
      expect(v).toMatchObject({ reachable: true, permitted: false });
      expect(v.message).toContain('AuthorizeSecurityGroupIngress');
    });

    it('answers (never throws) for a missing group, unreadable group or bad credentials', async () => {
      expect(await provider.verify({ ...resource, identifier: 'sg-0123456789abcdef0' })).toMatchObject({ reachable: false, permitted: false });
      const key = 'AKIDNOREAD';
      fake.addAccessKey(key);
      fake.denyActions(['DescribeSecurityGroupRules'], key);
      const p = createAwsSecurityGroupProvider(awsTestDeps(fake, { secrets: { 'env:NR': JSON.stringify({ accessKeyId: key, secretAccessKey: 'x' }) } }));
      const cred = resource.credential!;
      expect(await p.verify({ ...resource, credential: { ...cred, secretRef: 'env:NR' } })).toMatchObject({ reachable: true, permitted: false });
      expect(await p.verify({ ...resource, credential: { ...cred, secretRef: 'env:UNSET' } })).toMatchObject({ reachable: false, permitted: false });
    });
  });
});
