import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGcpTestEnv, TEST_PROJECT, type GcpTestEnv } from '../fakes/gcp/harness.ts';

const V4 = ['198.51.100.7/32', '203.0.113.9/32'];
const V6 = ['2001:db8::7/128', '2001:db8:1::9/128'];

describe('gcp-firewall rules', () => {
  let env: GcpTestEnv;
  beforeAll(async () => {
    env = await createGcpTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });
  beforeEach(() => {
    env.fake.resetFaults();
    env.fake.resetCounters();
  });

  it('keeps IPv4 and IPv6 in two rules marked as ours, with ports, priority and tags from the config', async () => {
    const r = env.newResource({
      config: { targetTags: ['bastion'], priority: 900, namePrefix: 'eg-' },
      ports: [
        { protocol: 'tcp', from: 22, to: 22 },
        { protocol: 'tcp', from: 8000, to: 8100 },
        { protocol: 'udp', from: 51820 },
        { protocol: 'icmp' },
      ],
    });
    const result = await env.provider.apply(r, { add: [...V4, ...V6], remove: [] });
    for (const cidr of [...V4, ...V6]) expect(result.added.get(cidr)).toMatchObject({ ok: true });
    expect(result.added.get(V4[0]!)).toMatchObject({ ruleId: `eg-${r.identifier}-v4` });
    expect(result.added.get(V6[0]!)).toMatchObject({ ruleId: `eg-${r.identifier}-v6` });

    const v4 = env.rule(r, 'v4')!;
    const v6 = env.rule(r, 'v6')!;
    expect(v4.sourceRanges).toEqual(V4);
    expect(v6.sourceRanges).toEqual(V6);
    for (const rule of [v4, v6]) {
      expect(rule.description).toContain(`entryguard:resource=${r.id}`);
      expect(rule).toMatchObject({ direction: 'INGRESS', priority: 900, targetTags: ['bastion'] });
      expect(rule.network).toMatch(/\/projects\/eg-test-proj\/global\/networks\/default$/);
      expect(rule.allowed).toEqual([
        { IPProtocol: 'tcp', ports: ['22', '8000-8100'] },
        { IPProtocol: 'udp', ports: ['51820'] },
        { IPProtocol: 'icmp' },
      ]);
    }
    expect(env.fake.calls['firewalls.insert']).toBe(2);
  });

  it('coalesces a batch into one patch per family and lists what it manages', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [V4[0]!], remove: [] });
    env.fake.resetCounters();
    await env.provider.apply(r, { add: [V4[1]!, '192.0.2.1/32', '192.0.2.2/32'], remove: [V4[0]!] });
    expect(env.fake.calls['firewalls.patch']).toBe(1);
    expect(env.fake.calls['firewalls.insert']).toBe(0);
    const listed = await env.provider.list(r);
    expect(listed?.map((e) => e.cidr).sort()).toEqual([V4[1], '192.0.2.1/32', '192.0.2.2/32'].sort());
    expect(listed?.every((e) => e.ruleId === `${r.identifier}-v4`)).toBe(true);
  });

  it('deletes a rule whose last range goes, never patching an empty list', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [V4[0]!, V6[0]!], remove: [] });
    env.fake.resetCounters();
    const result = await env.provider.apply(r, { add: [], remove: [V4[0]!] });
    expect(result.removed.get(V4[0]!)).toMatchObject({ ok: true });
    expect(env.rule(r, 'v4')).toBeUndefined();
    expect(env.rule(r, 'v6')?.sourceRanges).toEqual([V6[0]]);
    expect(env.fake.calls['firewalls.delete']).toBe(1);
    expect(env.fake.calls['firewalls.patch']).toBe(0);
    // Adding again re-creates it.
    await env.provider.apply(r, { add: [V4[1]!], remove: [] });
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([V4[1]]);
  });

  it('matches CIDRs however they are spelled and reports them in the canonical form', async () => {
    const r = env.newResource();
    const result = await env.provider.apply(r, { add: ['2001:DB8:0:0::7/128', '198.51.100.7'], remove: [] });
    expect(result.added.get('2001:DB8:0:0::7/128')).toMatchObject({ ok: true });
    expect(env.cloudCidrs(r).sort()).toEqual(['198.51.100.7/32', '2001:db8::7/128']);
    await env.provider.apply(r, { add: [], remove: ['2001:db8::7/128'] });
    expect(env.rule(r, 'v6')).toBeUndefined();
  });

  it('refuses a rule with our name that is not ours and never touches other rules', async () => {
    const r = env.newResource();
    const foreign = env.fake.seedFirewall(TEST_PROJECT, { name: `${r.identifier}-v4`, description: 'ssh for the ops team' });
    const bystander = env.fake.seedFirewall(TEST_PROJECT, { name: 'allow-internal', sourceRanges: ['10.0.0.0/8'] });
    const result = await env.provider.apply(r, { add: [V4[0]!, V6[0]!], remove: [V4[1]!] });
    const outcome = result.added.get(V4[0]!);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'FOREIGN_RULE', retryable: false } });
    if (outcome && !outcome.ok) expect(outcome.error.message).toContain(`${r.identifier}-v4`);
    expect(result.removed.get(V4[1]!)).toMatchObject({ ok: false, error: { code: 'FOREIGN_RULE' } });
    expect(result.added.get(V6[0]!)).toMatchObject({ ok: true }); // the other family is unaffected
    expect(env.fake.firewall(TEST_PROJECT, foreign.name)).toEqual(foreign);
    expect(env.fake.firewall(TEST_PROJECT, bystander.name)).toEqual(bystander);
    await expect(env.provider.list(r)).rejects.toMatchObject({ code: 'FOREIGN_RULE', retryable: false });
  });

  it('refuses a rule that another EntryGuard resource with the same identifier owns', async () => {
    const a = env.newResource();
    await env.provider.apply(a, { add: [V4[0]!], remove: [] });
    const b = { ...env.newResource(), identifier: a.identifier };
    const result = await env.provider.apply(b, { add: [V4[1]!], remove: [] });
    expect(result.added.get(V4[1]!)).toMatchObject({ ok: false, error: { code: 'FOREIGN_RULE' } });
    expect(env.rule(a, 'v4')?.sourceRanges).toEqual([V4[0]]);
  });

  it('rejects invalid config and CIDRs with permanent errors', async () => {
    const bad = env.newResource({ config: { project: 'Not A Project' } });
    await expect(env.provider.apply(bad, { add: [V4[0]!], remove: [] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      retryable: false,
    });
    const r = env.newResource();
    const result = await env.provider.apply(r, { add: ['not-an-ip', V4[0]!], remove: ['10.0.0.300/32'] });
    expect(result.added.get('not-an-ip')).toMatchObject({ ok: false, error: { code: 'INVALID_CIDR', retryable: false } });
    expect(result.added.get(V4[0]!)).toMatchObject({ ok: true });
    expect(result.removed.get('10.0.0.300/32')).toMatchObject({ ok: true });
  });

  it.each([
    ['ports are removed', { ports: [] }],
    ['the config turns invalid', { config: { priority: 70_000 } }],
  ])('keeps list and removals working when %s, refusing only additions', async (_label, broken) => {
    const r = env.newResource({ config: { priority: 900 } });
    await env.provider.apply(r, { add: [V4[0]!, V4[1]!, V6[0]!], remove: [] });
    const bad = { ...r, ...('ports' in broken ? { ports: broken.ports } : { config: { ...r.config, ...broken.config } }) };
    expect((await env.provider.list(bad))?.map((e) => e.cidr).sort()).toEqual([V4[0], V4[1], V6[0]].sort());
    env.fake.resetCounters();
    const result = await env.provider.apply(bad, { add: ['192.0.2.9/32'], remove: [V4[0]!, V6[0]!] });
    expect(result.added.get('192.0.2.9/32')).toMatchObject({ ok: false, error: { code: 'INVALID_CONFIG', retryable: false } });
    expect(result.removed.get(V4[0]!)).toMatchObject({ ok: true });
    expect(result.removed.get(V6[0]!)).toMatchObject({ ok: true });
    expect(env.cloudCidrs(r)).toEqual([V4[1]]);
    // The removal patch carried the ranges only: the rule keeps its ports and priority.
    const patch = env.fake.requests.find((q) => q.method === 'firewalls.patch');
    expect(patch?.body).toEqual({ sourceRanges: [V4[1]] });
    expect(env.rule(r, 'v4')).toMatchObject({ priority: 900, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
    const v = await env.provider.verify(bad);
    expect(v).toMatchObject({ reachable: false, permitted: false });
    expect(v.message).toMatch(/no ports configured|config\.priority/);
  });

  it('fills a rule up to the configured limit and refuses the rest per CIDR', async () => {
    const r = env.newResource({ config: { maxSourceRanges: 2 } });
    await env.provider.apply(r, { add: ['192.0.2.1/32'], remove: [] });
    const result = await env.provider.apply(r, { add: ['192.0.2.2/32', '192.0.2.3/32', '192.0.2.1/32'], remove: [] });
    expect(result.added.get('192.0.2.1/32')).toMatchObject({ ok: true });
    expect(result.added.get('192.0.2.2/32')).toMatchObject({ ok: true });
    const refused = result.added.get('192.0.2.3/32');
    expect(refused).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED', retryable: false } });
    // A removal in the same change makes room first.
    const swap = await env.provider.apply(r, { add: ['192.0.2.3/32'], remove: ['192.0.2.1/32'] });
    expect(swap.added.get('192.0.2.3/32')).toMatchObject({ ok: true });
    expect(env.cloudCidrs(r).sort()).toEqual(['192.0.2.2/32', '192.0.2.3/32']);
  });
});
