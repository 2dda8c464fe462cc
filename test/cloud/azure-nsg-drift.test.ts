import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderEntry, ResourceTarget } from '../../src/engine/ports.ts';
import { setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/** Drift per managed rule: every rule of a CIDR's family must exist, carry it, and hold what EntryGuard writes. */

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
const V6 = '2001:db8::7/128';
const TCP_UDP = [
  { protocol: 'tcp' as const, from: 22, to: 22 },
  { protocol: 'udp' as const, from: 53, to: 53 },
];

const rule = (r: ResourceTarget, suffix: string) => `entryguard-${r.id}-${suffix}`;
const entry = async (r: ResourceTarget, cidr: string): Promise<ProviderEntry | undefined> =>
  (await az.provider.list(r))?.find((e) => e.cidr === cidr);

describe('azure-nsg drift', () => {
  it('no longer lists the v6 CIDRs once the only -tcp-v6 rule is deleted, and an add re-creates it', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A, V6], remove: [] });
    az.fake.removeRule(r.identifier, rule(r, 'tcp-v6'));

    const listed = await az.provider.list(r);
    expect(listed?.map((e) => e.cidr)).toEqual([A]);
    expect(listed?.[0]).toMatchObject({ intact: true });

    const result = await az.provider.apply(r, { add: [V6], remove: [] });
    expect(result.added.get(V6)).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, rule(r, 'tcp-v6'))).toMatchObject({ priority: 301, sourceAddressPrefixes: [V6] });
    expect(await entry(r, V6)).toMatchObject({ intact: true });
  });

  it('reports a deleted -tcp-v6 rule while -udp-v6 still carries the CIDR, and repair re-creates only that rule', async () => {
    const r = az.newResource({ ports: TCP_UDP });
    await az.provider.apply(r, { add: [A, V6], remove: [] });
    az.fake.removeRule(r.identifier, rule(r, 'tcp-v6'));

    expect(await entry(r, V6)).toMatchObject({ intact: false, problems: [`rule ${rule(r, 'tcp-v6')} (tcp/22) is missing`] });
    expect(await entry(r, A)).toMatchObject({ intact: true });

    az.fake.resetCalls();
    const result = await az.provider.apply(r, { add: [], remove: [], repair: [V6] });
    expect(result.added.get(V6)).toMatchObject({ ok: true });
    expect(az.fake.calls['rule.put']).toBe(1);
    expect(az.fake.rule(r.identifier, rule(r, 'tcp-v6'))).toMatchObject({ priority: 301, destinationPortRange: '22', sourceAddressPrefixes: [V6] });
    expect(await entry(r, V6)).toMatchObject({ intact: true });
  });

  it('reports a managed rule whose ports and priority were edited, and repair restores it; the foreign rule stays', async () => {
    const r = az.newResource({ ports: TCP_UDP });
    await az.provider.apply(r, { add: [A], remove: [] });
    az.fake.seedRule(r.identifier, 'team-web', { priority: 1000, sourceAddressPrefixes: ['10.9.0.0/16'] });
    const foreign = structuredClone(az.fake.rule(r.identifier, 'team-web'));
    az.fake.editRule(r.identifier, rule(r, 'tcp-v4'), { destinationPortRange: '2222', priority: 4000 });

    const broken = await entry(r, A);
    expect(broken?.intact).toBe(false);
    expect(broken?.problems?.sort()).toEqual(
      [
        `rule ${rule(r, 'tcp-v4')}: tcp/22 missing`,
        `rule ${rule(r, 'tcp-v4')}: tcp/2222 is not configured`,
        `rule ${rule(r, 'tcp-v4')}: priority is 4000, EntryGuard writes 300`,
      ].sort(),
    );

    const result = await az.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, rule(r, 'tcp-v4'))).toMatchObject({ priority: 300, destinationPortRange: '22', sourceAddressPrefixes: [A] });
    expect(await entry(r, A)).toMatchObject({ intact: true });
    expect(az.fake.rule(r.identifier, 'team-web')).toEqual(foreign);
  });

  it('reports access, direction, source port and an added source of any address as altered', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A], remove: [] });
    az.fake.editRule(r.identifier, rule(r, 'tcp-v4'), {
      access: 'Deny',
      direction: 'Outbound',
      sourcePortRange: '1024',
      sourceAddressPrefixes: [A, '*'],
    });
    const broken = await entry(r, A);
    const where = `rule ${rule(r, 'tcp-v4')}`;
    expect(broken?.problems?.sort()).toEqual(
      [
        `${where}: access is Deny, EntryGuard writes Allow`,
        `${where}: direction is Outbound, EntryGuard writes Inbound`,
        `${where}: source ports are 1024, EntryGuard writes *`,
        `${where}: also allows source "*"`,
      ].sort(),
    );
    const result = await az.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(az.fake.rule(r.identifier, rule(r, 'tcp-v4'))).toMatchObject({ access: 'Allow', direction: 'Inbound', sourcePortRange: '*', sourceAddressPrefixes: [A] });
    expect(await entry(r, A)).toMatchObject({ intact: true });
  });

  it('fails a repair with PRIORITY_CONFLICT when someone else took the priority of the deleted rule', async () => {
    const r = az.newResource({ ports: TCP_UDP });
    await az.provider.apply(r, { add: [V6], remove: [] });
    az.fake.removeRule(r.identifier, rule(r, 'tcp-v6'));
    az.fake.seedRule(r.identifier, 'squatter', { priority: 301 });

    const result = await az.provider.apply(r, { add: [], remove: [], repair: [V6] });
    expect(result.added.get(V6)).toMatchObject({ ok: false, error: { code: 'PRIORITY_CONFLICT', retryable: false } });
    expect(await entry(r, V6)).toMatchObject({ intact: false });
  });

  it('reports a failed rewrite for a CIDR that needed it, but not for one that was already intact', async () => {
    const r = az.newResource({ ports: TCP_UDP });
    await az.provider.apply(r, { add: [A], remove: [] });
    az.fake.editRule(r.identifier, rule(r, 'udp-v4'), { priority: 4001 });
    az.fake.failNextOperation({ code: 'InternalServerError', message: 'An error occurred.' });
    const result = await az.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: false, error: { retryable: true } });

    const intact = az.newResource();
    await az.provider.apply(intact, { add: [A], remove: [] });
    az.fake.failNextOperation({ code: 'InternalServerError', message: 'An error occurred.' });
    const again = await az.provider.apply(intact, { add: [A, V6], remove: [] });
    expect(again.added.get(A)).toMatchObject({ ok: true });
    expect(again.added.get(V6)).toMatchObject({ ok: false });
  });
});
