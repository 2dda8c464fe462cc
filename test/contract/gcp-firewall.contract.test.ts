import { createGcpTestEnv } from '../fakes/gcp/harness.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';

describeProviderContract('gcp-firewall', { perPortRules: true, listsForeignEntries: false }, async (): Promise<ProviderHarness> => {
  const env = await createGcpTestEnv();
  return {
    provider: env.provider,
    newResource: async (opts) => env.newResource(opts?.ports ? { ports: opts.ports } : {}),
    cloudCidrs: async (r) => env.cloudCidrs(r),
    throttle: () => env.fake.throttle(3, 'mutations'),
    async arrangePartialFailure(r, cidrs) {
      // A per-rule limit one short of the batch: the last CIDR does not fit, the others do.
      r.config.maxSourceRanges = cidrs.length - 1;
      return cidrs.slice(-1);
    },
    async dropPort(r, cidr, port) {
      // One managed rule per family lists every protocol and port: take this port out of it.
      const rule = env.rule(r, cidr.includes(':') ? 'v6' : 'v4');
      if (!rule) throw new Error(`no rule for ${cidr}`);
      const allowed = (rule.allowed ?? []).map((a) =>
        a.IPProtocol === port.protocol ? { ...a, ports: (a.ports ?? []).filter((p) => p !== String(port.from)) } : a,
      );
      env.fake.editFirewall(String(r.config.project), rule.name, { allowed });
    },
    async seedForeign(r) {
      const name = `team-web-${r.identifier}`;
      env.fake.seedFirewall(String(r.config.project), { name, sourceRanges: ['10.9.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['443'] }] });
      return async () => structuredClone(env.fake.firewall(String(r.config.project), name));
    },
    clearFaults: () => env.fake.resetFaults(),
    close: () => env.close(),
  };
});
