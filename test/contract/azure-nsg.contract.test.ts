import { managedCidrs, setupAzure } from '../fakes/azure/azure-test-setup.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('azure-nsg', async (): Promise<ProviderHarness> => {
  const az = await setupAzure();
  return {
    provider: az.provider,
    newResource: async () => az.newResource(),
    cloudCidrs: async (r) => managedCidrs(az.fake, r),
    // Every write answers 429 (no Retry-After, so the SDK does not retry) until clearFaults().
    throttle: () => az.fake.throttle(1_000),
    async arrangePartialFailure(r, cidrs) {
      // Other teams' rules hold 3,999 of the NSG's 4,000 source prefixes: only the first CIDR fits.
      for (let i = 0; i < 4; i++) {
        const count = i < 3 ? 1000 : 999;
        const prefixes = Array.from({ length: count }, (_, j) => `10.${i}.${j >> 8}.${j & 255}/32`);
        az.fake.seedRule(r.identifier, `team-${i}`, { priority: 1000 + i, sourceAddressPrefixes: prefixes });
      }
      return cidrs.slice(1);
    },
    clearFaults: () => az.fake.clearFaults(),
    close: () => az.close(),
  };
});
