import { createAwsPrefixListProvider } from '../../src/cloud/aws-prefix-list/provider.ts';
import { startFakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

// Entries are per CIDR (the ports live on the security group that references the list): no per-port drift.
describeProviderContract('aws-prefix-list', { perPortRules: false, listsForeignEntries: false }, async (): Promise<ProviderHarness> => {
  const fake = await startFakeEc2();
  const provider = createAwsPrefixListProvider(awsTestDeps(fake));
  return {
    provider,
    async newResource(opts) {
      // A prefix list holds one family: the IPv6 companion serves the contract's dual-stack case.
      const v4 = fake.addPrefixList({ addressFamily: 'IPv4', maxEntries: 10 });
      const v6 = fake.addPrefixList({ addressFamily: 'IPv6', maxEntries: 10 });
      return awsResource('aws-prefix-list', v4.id, { config: { companionPrefixListId: v6.id }, ...(opts?.ports ? { ports: opts.ports } : {}) });
    },
    async cloudCidrs(r) {
      const ids = [r.identifier, String(r.config.companionPrefixListId)];
      return ids.flatMap((id) => fake.prefixList(id).entries.filter((e) => e.description === `entryguard:${r.id}`).map((e) => e.cidr));
    },
    throttle() {
      fake.throttle(100);
    },
    async arrangePartialFailure(r, cidrs) {
      fake.prefixList(r.identifier).maxEntries = 2;
      return cidrs.slice(2);
    },
    async seedForeign(r) {
      fake.modifyPrefixListOutOfBand(r.identifier, { add: [{ cidr: '10.9.0.0/16', description: 'office' }] });
      return async () => structuredClone(fake.prefixList(r.identifier).entries.filter((e) => e.description === 'office'));
    },
    clearFaults: () => fake.clearFaults(),
    close: () => fake.close(),
  };
});
