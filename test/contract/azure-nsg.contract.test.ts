import { managedCidrs, setupAzure } from '../fakes/azure/azure-test-setup.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('azure-nsg', { perPortRules: true, listsForeignEntries: false }, async (): Promise<ProviderHarness> => {
  const az = await setupAzure();
  return {
    provider: az.provider,
    newResource: async (opts) => az.newResource(opts?.ports ? { ports: opts.ports } : {}),
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
    async dropPort(r, cidr, port) {
      // One managed rule per protocol and family carries every port: take this one out of it.
      const name = `entryguard-${r.id}-${port.protocol}-v${cidr.includes(':') ? 6 : 4}`;
      const props = az.fake.rule(r.identifier, name);
      if (!props) throw new Error(`no rule ${name}`);
      const ports = (props.destinationPortRanges ?? [props.destinationPortRange ?? '']).filter((p) => p !== String(port.from));
      az.fake.editRule(r.identifier, name, ports.length === 1 ? { destinationPortRange: ports[0], destinationPortRanges: undefined } : { destinationPortRanges: ports });
    },
    async seedForeign(r) {
      az.fake.seedRule(r.identifier, 'team-web', { priority: 1000, sourceAddressPrefixes: ['10.9.0.0/16'] });
      return async () => structuredClone(az.fake.rule(r.identifier, 'team-web'));
    },
    clearFaults: () => az.fake.clearFaults(),
    close: () => az.close(),
  };
});
