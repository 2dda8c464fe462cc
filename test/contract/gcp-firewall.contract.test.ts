import { createGcpTestEnv } from '../fakes/gcp/harness.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('gcp-firewall', async (): Promise<ProviderHarness> => {
  const env = await createGcpTestEnv();
  return {
    provider: env.provider,
    newResource: async () => env.newResource(),
    cloudCidrs: async (r) => env.cloudCidrs(r),
    throttle: () => env.fake.throttle(3, 'mutations'),
    async arrangePartialFailure(r, cidrs) {
      // A per-rule limit one short of the batch: the last CIDR does not fit, the others do.
      r.config.maxSourceRanges = cidrs.length - 1;
      return cidrs.slice(-1);
    },
    clearFaults: () => env.fake.resetFaults(),
    close: () => env.close(),
  };
});
