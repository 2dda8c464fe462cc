import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, CidrOutcome } from '../../src/engine/ports.ts';
import { managedCidrs, setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/** Which rules we own and how they are written: foreign rules, priorities, families, protocols. */

let az: AzureTestSetup;
beforeAll(async () => {
  az = await setupAzure();
});
afterAll(async () => {
  await az?.close();
});
beforeEach(() => {
  az.fake.clearFaults();
});

const A = '198.51.100.7/32';
const B = '203.0.113.9/32';
const V6 = '2001:db8::7/128';

function failure(result: ApplyResult, cidr: string): { code: string; retryable: boolean; message: string } | undefined {
  const o: CidrOutcome | undefined = result.added.get(cidr) ?? result.removed.get(cidr);
  return o && !o.ok ? { code: o.error.code, retryable: o.error.retryable, message: o.error.message } : undefined;
}

describe('azure-nsg rules', () => {
  it('leaves foreign rules untouched and in their order', async () => {
    const r = az.newResource();
    az.fake.seedRule(r.identifier, 'allow-https', { priority: 100, sourceAddressPrefix: '*' });
    az.fake.seedRule(r.identifier, 'ops-vpn', { priority: 200, sourceAddressPrefixes: ['192.0.2.0/25', '192.0.2.128/25'] });
    az.fake.seedRule(r.identifier, 'deny-rdp', { priority: 4000, access: 'Deny', destinationPortRange: '3389' });
    const before = az.fake.rules(r.identifier);
    const writesBefore = az.fake.log.length;

    await az.provider.apply(r, { add: [A, B, V6], remove: [] });
    await az.provider.apply(r, { add: [], remove: [A] });
    await az.provider.apply(r, { add: [], remove: [B, V6] });

    const after = az.fake.rules(r.identifier);
    expect(after).toEqual(before); // same names, order, etags and properties
    const writes = az.fake.log.slice(writesBefore).filter((l) => l.method === 'PUT' || l.method === 'DELETE');
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(w.path).toMatch(/securityRules\/entryguard-/);
  });

  it('refuses a priority held by a foreign rule, for that family only, without writing', async () => {
    const r = az.newResource({ config: { priority: 500 } });
    az.fake.seedRule(r.identifier, 'legacy-ssh', { priority: 500 });
    const result = await az.provider.apply(r, { add: [A, V6], remove: [] });
    expect(failure(result, A)).toMatchObject({ code: 'PRIORITY_CONFLICT', retryable: false });
    expect(failure(result, A)?.message).toContain('legacy-ssh');
    expect(result.added.get(V6)).toMatchObject({ ok: true }); // IPv6 uses priority 501, which is free
    expect(managedCidrs(az.fake, r)).toEqual([V6]);
    expect(az.fake.rule(r.identifier, 'legacy-ssh')?.priority).toBe(500);
  });

  it('maps a conflict Azure reports itself (a rule appeared meanwhile) to a permanent PRIORITY_CONFLICT', async () => {
    const r = az.newResource({ config: { priority: 600 } });
    az.fake.inject({ status: 400, code: 'SecurityRuleConflict', message: 'Security rule x conflicts with rule y. Rules cannot have the same Priority and Direction.', calls: ['rule.put'] });
    const result = await az.provider.apply(r, { add: [A], remove: [] });
    expect(failure(result, A)).toMatchObject({ code: 'PRIORITY_CONFLICT', retryable: false });
  });

  it('deletes the rule when its set becomes empty, and removing again is a no-op', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A], remove: [] });
    const name = `entryguard-${r.id}-tcp-v4`;
    expect(az.fake.rule(r.identifier, name)?.sourceAddressPrefixes).toEqual([A]);
    az.fake.resetCalls();
    const result = await az.provider.apply(r, { add: [], remove: [A] });
    expect(result.removed.get(A)).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, name)).toBeUndefined();
    expect(az.fake.calls['rule.delete']).toBe(1);
    expect(az.fake.calls['rule.put']).toBeUndefined();
    az.fake.resetCalls();
    const again = await az.provider.apply(r, { add: [], remove: [A] });
    expect(again.removed.get(A)).toMatchObject({ ok: true });
    expect(az.fake.calls['rule.delete'] ?? 0).toBe(0);
  });

  it('carries every added and removed CIDR of a rule in one PUT', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A], remove: [] });
    az.fake.resetCalls();
    const many = Array.from({ length: 20 }, (_, i) => `198.51.100.${100 + i}/32`);
    const result = await az.provider.apply(r, { add: many, remove: [A] });
    expect([...result.added.values()].every((o) => o.ok)).toBe(true);
    expect(az.fake.calls['rule.put']).toBe(1);
    expect(managedCidrs(az.fake, r)).toEqual([...many].sort());
    expect(result.added.get(many[0]!)).toMatchObject({ ok: true, ruleId: `entryguard-${r.id}-tcp-v4` });
  });

  it('keeps IPv4 and IPv6 in separate rules (Azure refuses mixed families) at consecutive priorities', async () => {
    const r = az.newResource({ config: { priority: 700 } });
    await az.provider.apply(r, { add: [A, V6, '2001:db8:1::/48'], remove: [] });
    const v4 = az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`);
    const v6 = az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v6`);
    expect(v4).toMatchObject({ priority: 700, sourceAddressPrefixes: [A], direction: 'Inbound', access: 'Allow' });
    expect(v6).toMatchObject({ priority: 701, sourceAddressPrefixes: ['2001:db8:1::/48', V6].sort() });
    expect(await az.provider.list(r)).toHaveLength(3);
  });

  it('writes one rule per protocol and family with its ports, and cleans up after a port change', async () => {
    const r = az.newResource({
      config: { priority: 800 },
      ports: [
        { protocol: 'tcp', from: 22, to: 22 },
        { protocol: 'udp', from: 53, to: 53 },
        { protocol: 'tcp', from: 8000, to: 8100 },
      ],
    });
    await az.provider.apply(r, { add: [A], remove: [] });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`)).toMatchObject({ priority: 800, protocol: 'Tcp', destinationPortRanges: ['22', '8000-8100'] });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-udp-v4`)).toMatchObject({ priority: 802, protocol: 'Udp', destinationPortRange: '53' });

    const changed = { ...r, ports: [{ protocol: 'icmp' as const }] };
    const result = await az.provider.apply(changed, { add: [B], remove: [] });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-icmp-v4`)).toMatchObject({ priority: 800, protocol: 'Icmp', destinationPortRange: '*', sourceAddressPrefixes: [A, B] });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`)).toBeUndefined();
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-udp-v4`)).toBeUndefined();
  });

  it('moves its rules when config.priority changes, even onto a priority one of them holds', async () => {
    const r = az.newResource({ config: { priority: 1300 } });
    await az.provider.apply(r, { add: [A, V6], remove: [] });
    const moved = { ...r, config: { priority: 1301 } };
    const result = await az.provider.apply(moved, { add: ['2001:db8::8/128'], remove: [] });
    expect(result.added.get('2001:db8::8/128')).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`)?.priority).toBe(1301);
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v6`)?.priority).toBe(1302);
  });

  it('refuses a malformed CIDR per CIDR and applies the rest', async () => {
    const r = az.newResource();
    const result = await az.provider.apply(r, { add: ['10.0.0.5/24', A], remove: [] });
    expect(failure(result, '10.0.0.5/24')).toMatchObject({ code: 'INVALID_CIDR', retryable: false });
    expect(result.added.get(A)).toMatchObject({ ok: true });
  });

  it('repairs a rule edited by hand (ports) on the next change', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A], remove: [] });
    az.fake.seedRule(r.identifier, `entryguard-${r.id}-tcp-v4`, { priority: 300, destinationPortRange: '*', sourceAddressPrefixes: [A] });
    await az.provider.apply(r, { add: [B], remove: [] });
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`)).toMatchObject({ destinationPortRange: '22', sourceAddressPrefixes: [A, B] });
  });

  it('rejects a bad identifier or config with a clear permanent error', async () => {
    const r = az.newResource();
    await expect(az.provider.apply({ ...r, identifier: 'nsg-prod' }, { add: [A], remove: [] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      retryable: false,
      message: expect.stringContaining('/subscriptions/'),
    });
    await expect(az.provider.apply({ ...r, config: { priority: 50 } }, { add: [A], remove: [] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('config.priority'),
    });
    await expect(az.provider.apply({ ...r, ports: [] }, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
