import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import { RESOURCE_TAG_KEY } from '../../src/cloud/aws/target.ts';
import { startFakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('aws-security-group', async (): Promise<ProviderHarness> => {
  const fake = await startFakeEc2();
  const provider = createAwsSecurityGroupProvider(awsTestDeps(fake));
  return {
    provider,
    async newResource() {
      return awsResource('aws-security-group', fake.addGroup().groupId);
    },
    async cloudCidrs(r) {
      const rules = fake.inboundRules(r.identifier, { key: RESOURCE_TAG_KEY, value: r.id });
      return [...new Set(rules.map((x) => x.cidrIpv4 ?? x.cidrIpv6 ?? ''))];
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
    clearFaults: () => fake.clearFaults(),
    close: () => fake.close(),
  };
});
