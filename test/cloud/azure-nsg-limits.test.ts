import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult } from '../../src/engine/ports.ts';
import type { FakeAzure } from '../fakes/azure/fake-azure-arm.ts';
import { managedCidrs, setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/** Azure's per-NSG limits: 1,000 rules and 4,000 source prefixes, counted over everyone's rules. */

let az: AzureTestSetup;
beforeAll(async () => {
  az = await setupAzure();
});
afterAll(async () => {
  await az?.close();
});

const v4 = (i: number) => `198.51.${100 + (i >> 8)}.${i & 255}/32`;

function failed(result: ApplyResult): string[] {
  return [...result.added].filter(([, o]) => !o.ok).map(([c]) => c);
}

/** Foreign rules holding `total` source prefixes, 1,000 per rule, at priorities from 1000. */
function seedPrefixes(fake: FakeAzure, nsg: string, total: number): void {
  for (let i = 0; total > 0; i++) {
    const count = Math.min(1000, total);
    total -= count;
    const prefixes = Array.from({ length: count }, (_, j) => `10.${i}.${j >> 8}.${j & 255}/32`);
    fake.seedRule(nsg, `team-${i}`, { priority: 1000 + i, sourceAddressPrefixes: prefixes });
  }
}

function totalSourcePrefixes(fake: FakeAzure, nsg: string): number {
  return fake.rules(nsg).reduce((n, r) => n + (r.properties.sourceAddressPrefixes?.length || 1), 0);
}

describe('azure-nsg limits', () => {
  it('fills the last of the 4,000 source prefixes and refuses the rest per CIDR', async () => {
    const r = az.newResource();
    seedPrefixes(az.fake, r.identifier, 3998);
    const add = [v4(1), v4(2), v4(3), v4(4)];
    const result = await az.provider.apply(r, { add, remove: [] });
    expect(failed(result)).toEqual([v4(3), v4(4)]);
    const refusal = result.added.get(v4(3));
    expect(refusal).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED', retryable: false } });
    if (refusal && !refusal.ok) expect(refusal.error.message).toContain('4000');
    expect(managedCidrs(az.fake, r)).toEqual([v4(1), v4(2)]);
    expect(totalSourcePrefixes(az.fake, r.identifier)).toBe(4000);

    // Removing one frees room for exactly one more.
    const swap = await az.provider.apply(r, { add: [v4(3), v4(4)], remove: [v4(1)] });
    expect(failed(swap)).toEqual([v4(4)]);
    expect(managedCidrs(az.fake, r)).toEqual([v4(2), v4(3)]);
  });

  it('counts a CIDR once per protocol rule', async () => {
    const r = az.newResource({ ports: [{ protocol: 'tcp', from: 22, to: 22 }, { protocol: 'udp', from: 51820, to: 51820 }] });
    seedPrefixes(az.fake, r.identifier, 3995);
    const result = await az.provider.apply(r, { add: [v4(1), v4(2), v4(3)], remove: [] });
    expect(failed(result)).toEqual([v4(3)]); // 2 CIDRs × 2 rules = 4 prefixes fit, the third would need 2 more
    expect(totalSourcePrefixes(az.fake, r.identifier)).toBe(3999);
  });

  it('honours a lower limit from config', async () => {
    const r = az.newResource({ config: { maxSourcePrefixes: 2 } });
    const result = await az.provider.apply(r, { add: [v4(1), v4(2), v4(3)], remove: [] });
    expect(failed(result)).toEqual([v4(3)]);
  });

  it('refuses a family whose rule would be the 1,001st, while the existing family keeps working', async () => {
    const r = az.newResource();
    for (let i = 0; i < 999; i++) az.fake.seedRule(r.identifier, `rule-${i}`, { priority: 1000 + i, sourceAddressPrefix: '10.0.0.0/8' });
    const first = await az.provider.apply(r, { add: [v4(1)], remove: [] });
    expect(first.added.get(v4(1))).toMatchObject({ ok: true });
    expect(az.fake.rules(r.identifier)).toHaveLength(1000);

    const result = await az.provider.apply(r, { add: ['2001:db8::7/128', v4(2)], remove: [] });
    expect(result.added.get('2001:db8::7/128')).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED', retryable: false } });
    expect(result.added.get(v4(2))).toMatchObject({ ok: true }); // same rule, no new one needed
    expect(az.fake.rules(r.identifier)).toHaveLength(1000);
    const v = await az.provider.verify(r);
    expect(v.capacityLeft.v6).toBe(0);
    expect(v.capacityLeft.v4).toBeGreaterThan(0);
  });

  it('maps Azure refusing a limit itself (someone else filled the NSG meanwhile) to QUOTA_EXCEEDED', async () => {
    const r = az.newResource();
    az.fake.inject({ status: 400, code: 'SecurityRuleCountLimitReached', message: 'A security group cannot have more than 1000 security rules.', calls: ['rule.put'] });
    const result = await az.provider.apply(r, { add: [v4(1)], remove: [] });
    expect(result.added.get(v4(1))).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED', retryable: false } });
  });
});
