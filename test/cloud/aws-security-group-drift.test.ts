import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import { RESOURCE_TAG_KEY } from '../../src/cloud/aws/target.ts';
import type { FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';

/** Drift per rule: a CIDR is intact only when every configured port range has its rule of ours. */

const A = '198.51.100.7/32';
const B = '198.51.100.8/32';

describe('aws-security-group drift', () => {
  let fake: FakeEc2;
  let provider: FirewallProvider;
  let resource: ResourceTarget;

  beforeAll(async () => {
    fake = await startFakeEc2();
    provider = createAwsSecurityGroupProvider(awsTestDeps(fake));
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    fake.clearFaults();
    resource = awsResource('aws-security-group', fake.addGroup().groupId, {
      ports: [
        { protocol: 'tcp', from: 22, to: 22 },
        { protocol: 'tcp', from: 443, to: 443 },
      ],
    });
    await provider.apply(resource, { add: [A, B], remove: [] });
  });

  const ours = () => fake.inboundRules(resource.identifier, { key: RESOURCE_TAG_KEY, value: resource.id });
  const ruleOf = (cidr: string, port: number) => ours().find((r) => r.cidrIpv4 === cidr && r.fromPort === port)!;
  const entry = async (cidr: string) => (await provider.list(resource))?.find((e) => e.cidr === cidr);

  it('reports a deleted tcp/443 rule, re-creates only that rule, and leaves the foreign rule alone', async () => {
    const foreign = fake.addForeignRule(resource.identifier, { protocol: 'tcp', from: 443, to: 443, cidr: '10.9.0.0/16', description: 'office' });
    const kept = ruleOf(A, 22).id;
    fake.removeRule(ruleOf(A, 443).id);

    expect(await entry(A)).toMatchObject({ intact: false, problems: ['tcp/443 missing'] });
    expect(await entry(B)).toMatchObject({ intact: true });

    fake.resetCalls();
    const result = await provider.apply(resource, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(result.removed.size).toBe(0);
    // Only the missing permission is authorized; the surviving tcp/22 rule keeps its id.
    const authorize = fake.requests.filter((r) => r.action === 'AuthorizeSecurityGroupIngress');
    expect(authorize).toHaveLength(1);
    expect(authorize[0]!.params['IpPermissions.1.FromPort']).toBe('443');
    expect(authorize[0]!.params['IpPermissions.2.FromPort']).toBeUndefined();
    expect(fake.calls.RevokeSecurityGroupIngress ?? 0).toBe(0);
    expect(ruleOf(A, 22).id).toBe(kept);
    expect(await entry(A)).toMatchObject({ intact: true });
    expect(ours()).toHaveLength(4);
    expect(fake.inboundRules(resource.identifier).find((r) => r.id === foreign.id)).toEqual(foreign);
  });

  it('reports a rule of ours edited to another port, and repair revokes it and re-creates the configured one', async () => {
    const edited = ruleOf(A, 443).id;
    fake.editRule(edited, { fromPort: 8443, toPort: 8443 });

    const broken = await entry(A);
    expect(broken?.intact).toBe(false);
    expect(broken?.problems?.sort()).toEqual(['tcp/443 missing', `tcp/8443 is not configured (rule ${edited})`].sort());

    const result = await provider.apply(resource, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(ours().some((r) => r.id === edited)).toBe(false);
    expect(ours().filter((r) => r.cidrIpv4 === A).map((r) => r.fromPort).sort()).toEqual([22, 443]);
    expect(await entry(A)).toMatchObject({ intact: true });
  });

  it('an add of a CIDR with an edited rule of ours completes it the same way', async () => {
    fake.editRule(ruleOf(B, 22).id, { ipProtocol: 'udp' });
    const result = await provider.apply(resource, { add: [B], remove: [] });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(ours().filter((r) => r.cidrIpv4 === B).map((r) => `${r.ipProtocol}/${r.fromPort}`).sort()).toEqual(['tcp/22', 'tcp/443']);
  });

  it('reports a failed repair per CIDR and lists the CIDR as still not intact', async () => {
    fake.removeRule(ruleOf(A, 443).id);
    fake.inject({ code: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.', action: 'AuthorizeSecurityGroupIngress' });
    const result = await provider.apply(resource, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: false, error: { retryable: false } });
    expect(await entry(A)).toMatchObject({ intact: false });
  });
});
