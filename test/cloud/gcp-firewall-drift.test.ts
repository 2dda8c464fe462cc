import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderEntry, ResourceTarget } from '../../src/engine/ports.ts';
import { createGcpTestEnv, TEST_PROJECT, type GcpTestEnv } from '../fakes/gcp/harness.ts';

/** Drift per managed rule: the rule carrying a CIDR must hold exactly what EntryGuard writes. */

const A = '198.51.100.7/32';
const B = '203.0.113.9/32';
const V6 = '2001:db8::7/128';
const TCP_UDP = [
  { protocol: 'tcp' as const, from: 22, to: 22 },
  { protocol: 'udp' as const, from: 53, to: 53 },
];

describe('gcp-firewall drift', () => {
  let env: GcpTestEnv;
  beforeAll(async () => {
    env = await createGcpTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });
  beforeEach(() => {
    env.fake.resetFaults();
  });

  const entry = async (r: ResourceTarget, cidr: string): Promise<ProviderEntry | undefined> =>
    (await env.provider.list(r))?.find((e) => e.cidr === cidr);
  const edit = (r: ResourceTarget, family: 'v4' | 'v6', change: Parameters<GcpTestEnv['fake']['editFirewall']>[2]) =>
    env.fake.editFirewall(TEST_PROJECT, `${r.identifier}-${family}`, change);

  it('reports udp taken out of the v4 rule for its CIDRs only, and repair puts it back in one write', async () => {
    const r = env.newResource({ ports: TCP_UDP });
    await env.provider.apply(r, { add: [A, B, V6], remove: [] });
    const v6Before = structuredClone(env.rule(r, 'v6'));
    edit(r, 'v4', { allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });

    for (const cidr of [A, B]) expect(await entry(r, cidr)).toMatchObject({ intact: false, problems: [`rule ${r.identifier}-v4: udp/53 missing`] });
    expect(await entry(r, V6)).toMatchObject({ intact: true });

    env.fake.resetCounters();
    const result = await env.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true, ruleId: `${r.identifier}-v4` });
    expect(env.fake.calls['firewalls.update'] + env.fake.calls['firewalls.patch']).toBe(1);
    expect(env.rule(r, 'v4')).toMatchObject({
      allowed: [
        { IPProtocol: 'tcp', ports: ['22'] },
        { IPProtocol: 'udp', ports: ['53'] },
      ],
      sourceRanges: [A, B],
    });
    for (const cidr of [A, B]) expect(await entry(r, cidr)).toMatchObject({ intact: true });
    expect(env.rule(r, 'v6')).toEqual(v6Before);
  });

  it('reports priority, disabling, target tags and extra sources, and repair replaces the rule so those are cleared', async () => {
    const r = env.newResource({ config: { targetTags: ['bastion'], priority: 900 } });
    await env.provider.apply(r, { add: [A], remove: [] });
    edit(r, 'v4', { priority: 100, disabled: true, targetTags: ['bastion', 'db'], sourceTags: ['anything-tagged'] });

    const where = `rule ${r.identifier}-v4`;
    expect((await entry(r, A))?.problems?.sort()).toEqual(
      [
        `${where}: priority is 100, EntryGuard writes 900`,
        `${where}: is disabled`,
        `${where}: target tags are bastion, db, EntryGuard writes bastion`,
        `${where}: also allows source tags anything-tagged`,
      ].sort(),
    );

    env.fake.resetCounters();
    const result = await env.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    // A PATCH cannot clear a list (proto3 JSON drops empty ones): the rule is replaced with PUT.
    expect(env.fake.calls['firewalls.update']).toBe(1);
    const rule = env.rule(r, 'v4')!;
    expect(rule).toMatchObject({ priority: 900, disabled: false, targetTags: ['bastion'], sourceRanges: [A] });
    expect(rule.sourceTags ?? []).toEqual([]);
    expect(await entry(r, A)).toMatchObject({ intact: true });
  });

  it('an add of a new CIDR to a rule turned around to egress makes the rule anew', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    edit(r, 'v4', { direction: 'EGRESS', sourceRanges: [A] });
    expect((await entry(r, A))?.problems).toEqual([`rule ${r.identifier}-v4: direction is EGRESS, EntryGuard writes INGRESS`]);
    env.fake.resetCounters();
    const result = await env.provider.apply(r, { add: [B], remove: [] });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(result.added.size).toBe(1);
    expect(env.rule(r, 'v4')).toMatchObject({ direction: 'INGRESS', sourceRanges: [A, B] });
    // Whether a direction can be changed in place is unconfirmed: the rule (which let nothing in) is made anew.
    expect([env.fake.calls['firewalls.delete'], env.fake.calls['firewalls.insert']]).toEqual([1, 1]);
  });

  it('fails the repaired CIDRs when the rewrite fails, and they stay not intact', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    edit(r, 'v4', { allowed: [{ IPProtocol: 'tcp', ports: ['2222'] }] });
    env.fake.inject({ status: 403, reason: 'forbidden', message: "Required 'compute.firewalls.update' permission", on: 'mutations' });
    const result = await env.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', retryable: false } });
    expect((await entry(r, A))?.problems?.sort()).toEqual([`rule ${r.identifier}-v4: tcp/22 missing`, `rule ${r.identifier}-v4: tcp/2222 is not configured`].sort());
  });

  it('with a config it cannot trust, compares nothing and repairs nothing', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    edit(r, 'v4', { priority: 5 });
    r.config.priority = 'high';
    expect(await entry(r, A)).toMatchObject({ intact: true });
    const result = await env.provider.apply(r, { add: [], remove: [], repair: [A] });
    expect(result.added.get(A)).toMatchObject({ ok: false, error: { code: 'INVALID_CONFIG' } });
    expect(env.rule(r, 'v4')?.priority).toBe(5);
  });
});
