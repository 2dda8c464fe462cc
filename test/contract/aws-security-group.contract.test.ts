import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import { RESOURCE_TAG_KEY } from '../../src/cloud/aws/target.ts';
import { startFakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('aws-security-group', { perPortRules: true, listsForeignEntries: false }, async (): Promise<ProviderHarness> => {
  const fake = await startFakeEc2();
  const provider = createAwsSecurityGroupProvider(awsTestDeps(fake));
  const ours = (r: { id: string; identifier: string }) => fake.inboundRules(r.identifier, { key: RESOURCE_TAG_KEY, value: r.id });
  return {
    provider,
    async newResource(opts) {
      return awsResource('aws-security-group', fake.addGroup().groupId, opts?.ports ? { ports: opts.ports } : {});
    },
    async cloudCidrs(r) {
      return [...new Set(ours(r).map((x) => x.cidrIpv4 ?? x.cidrIpv6 ?? ''))];
    },
    throttle() {
      // More throttles than the client's attempts, on every action: the call as a whole fails.
      fake.throttle(100);
    },
    async arrangePartialFailure(r, cidrs) {
      // Someone else's rules fill the IPv4 quota (60) up to two free slots.
      for (let i = 0; i < 58; i++) fake.addForeignRule(r.identifier, { protocol: 'tcp', from: 1000 + i, to: 1000 + i, cidr: '10.9.0.0/16' });
      return cidrs.slice(2);
    },
    async dropPort(r, cidr, port) {
      const rule = ours(r).find((x) => (x.cidrIpv4 ?? x.cidrIpv6) === cidr && x.ipProtocol === port.protocol && x.fromPort === port.from);
      if (!rule) throw new Error(`no rule of ours for ${cidr} ${port.protocol}/${port.from}`);
      fake.removeRule(rule.id);
    },
    async seedForeign(r) {
      const rule = fake.addForeignRule(r.identifier, { protocol: 'tcp', from: 443, to: 443, cidr: '10.9.0.0/16', description: 'office' });
      return async () => structuredClone(fake.inboundRules(r.identifier).find((x) => x.id === rule.id));
    },
    clearFaults: () => fake.clearFaults(),
    close: () => fake.close(),
  };
});
