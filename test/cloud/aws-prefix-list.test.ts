import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsPrefixListProvider } from '../../src/cloud/aws-prefix-list/provider.ts';
import type { CidrOutcome, FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { startFakeEc2, type FakeEc2, type PrefixList } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';

const A = '198.51.100.7/32';
const B = '198.51.100.8/32';
const C = '203.0.113.9/32';
const V6 = '2001:db8::7/128';

function failure(o: CidrOutcome | undefined) {
  if (!o || o.ok) throw new Error(`expected a failure, got ${JSON.stringify(o)}`);
  return o.error;
}

describe('aws-prefix-list provider', () => {
  let fake: FakeEc2;
  let provider: FirewallProvider;
  let pl: PrefixList;
  let resource: ResourceTarget;

  beforeAll(async () => {
    fake = await startFakeEc2();
    provider = createAwsPrefixListProvider(awsTestDeps(fake));
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.clearFaults();
    fake.prefixListSettleMs = 0;
    fake.prefixListSettleReads = 0;
    pl = fake.addPrefixList({ maxEntries: 5 });
    resource = awsResource('aws-prefix-list', pl.id);
    fake.resetCalls();
  });

  const ourEntries = () => pl.entries.filter((e) => e.description === `entryguard:${resource.id}`).map((e) => e.cidr);

  it('adds and removes in one versioned modification, marking entries as ours', async () => {
    await provider.apply(resource, { add: [A, B], remove: [] });
    expect(pl.version).toBe(2);
    const result = await provider.apply(resource, { add: [C], remove: [A] });
    expect(result).toMatchObject({ added: new Map([[C, { ok: true }]]), removed: new Map([[A, { ok: true }]]) });
    expect(fake.calls.ModifyManagedPrefixList).toBe(2);
    expect(pl.version).toBe(3);
    expect(ourEntries().sort()).toEqual([B, C]);
  });

  it('retries on a version conflict and keeps the other writer\'s entry', async () => {
    fake.beforeNext('ModifyManagedPrefixList', () => fake.modifyPrefixListOutOfBand(pl.id, { add: [{ cidr: '10.1.0.0/16', description: 'vpn' }] }));
    const result = await provider.apply(resource, { add: [A], remove: [] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(fake.calls.ModifyManagedPrefixList).toBe(2);
    expect(fake.requests.filter((r) => r.action === 'ModifyManagedPrefixList').map((r) => r.params.CurrentVersion)).toEqual(['1', '2']);
    expect(pl.entries.map((e) => e.cidr).sort()).toEqual(['10.1.0.0/16', A]);
  });

  it('waits for a modification still in progress instead of failing', async () => {
    fake.prefixListSettleReads = 3; // the next three describes still see modify-in-progress
    await provider.apply(resource, { add: [A], remove: [] });
    expect(pl.state).toBe('modify-in-progress');
    fake.resetCalls();
    const result = await provider.apply(resource, { add: [B], remove: [] });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(fake.calls).toMatchObject({ DescribeManagedPrefixLists: 4, ModifyManagedPrefixList: 1 });
  });

  it('gives up with a retryable CONFLICT when the list keeps changing', async () => {
    const busy = { ...resource, config: { conflictRetries: 1 } };
    for (let i = 0; i < 2; i++) fake.beforeNext('ModifyManagedPrefixList', () => fake.modifyPrefixListOutOfBand(pl.id, {}));
    const result = await provider.apply(busy, { add: [A], remove: [] });
    expect(failure(result.added.get(A))).toMatchObject({ code: 'CONFLICT', retryable: true });
    expect(fake.calls.ModifyManagedPrefixList).toBe(2);
  });

  it('respects max entries, counting entries that are not ours, and frees room with removals', async () => {
    fake.modifyPrefixListOutOfBand(pl.id, { add: [{ cidr: '10.0.0.0/8', description: 'office' }, { cidr: '172.16.0.0/12', description: 'vpn' }] });
    const result = await provider.apply(resource, { add: [A, B, C, '198.51.100.10/32'], remove: [] });
    expect([A, B, C].map((c) => result.added.get(c)?.ok)).toEqual([true, true, true]);
    const error = failure(result.added.get('198.51.100.10/32'));
    expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
    expect(error.message).toContain('5 max entries');
    expect(pl.entries).toHaveLength(5);
    const swap = await provider.apply(resource, { add: ['198.51.100.10/32'], remove: [A] });
    expect(swap.added.get('198.51.100.10/32')).toMatchObject({ ok: true });
  });

  it('splits more than 100 changes into several modifications', async () => {
    const big = fake.addPrefixList({ maxEntries: 300 });
    const r = awsResource('aws-prefix-list', big.id);
    const cidrs = Array.from({ length: 150 }, (_, i) => `10.${Math.floor(i / 200)}.${i % 200}.1/32`);
    const result = await provider.apply(r, { add: cidrs, remove: [] });
    expect([...result.added.values()].every((o) => o.ok)).toBe(true);
    expect(fake.calls.ModifyManagedPrefixList).toBe(2);
    expect(big.entries).toHaveLength(150);
    expect((await provider.list(r))?.length).toBe(150);
  });

  it('refuses the other address family clearly, and uses a companion list for it', async () => {
    const result = await provider.apply(resource, { add: [A, V6], remove: [V6] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    const error = failure(result.added.get(V6));
    expect(error).toMatchObject({ code: 'WRONG_ADDRESS_FAMILY', retryable: false });
    expect(error.message).toContain('companionPrefixListId');
    expect(result.removed.get(V6)).toMatchObject({ ok: true });
    const v6 = fake.addPrefixList({ addressFamily: 'IPv6' });
    const dual = { ...resource, config: { companionPrefixListId: v6.id } };
    expect((await provider.apply(dual, { add: [V6], remove: [] })).added.get(V6)).toMatchObject({ ok: true });
    expect((await provider.list(dual))?.map((e) => e.cidr).sort()).toEqual([V6, A].sort());
    const same = { ...resource, config: { companionPrefixListId: fake.addPrefixList().id } };
    await expect(provider.apply(same, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('never adopts or removes an entry that is not ours', async () => {
    fake.modifyPrefixListOutOfBand(pl.id, { add: [{ cidr: A, description: 'standing access' }] });
    const result = await provider.apply(resource, { add: [A, B], remove: [] });
    const error = failure(result.added.get(A));
    expect(error).toMatchObject({ code: 'UNMANAGED_ENTRY_EXISTS', retryable: false });
    expect(error.message).toContain('standing access');
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect((await provider.list(resource))?.map((e) => e.cidr)).toEqual([B]);
    const removal = await provider.apply(resource, { add: [], remove: [A] });
    expect(removal.removed.get(A)).toMatchObject({ ok: true });
    expect(pl.entries.find((e) => e.cidr === A)?.description).toBe('standing access');
  });

  it('lists its entries as intact; one whose marker was edited away is no longer ours, and a repair does not adopt it', async () => {
    await provider.apply(resource, { add: [A, B], remove: [] });
    const listed = await provider.list(resource);
    expect(listed?.map((e) => [e.cidr, e.intact]).sort()).toEqual([[A, true], [B, true]]);
    // Someone edits the description of our entry for A in the console.
    fake.modifyPrefixListOutOfBand(pl.id, { remove: [A], add: [{ cidr: A, description: 'bob laptop' }] });
    expect((await provider.list(resource))?.map((e) => e.cidr)).toEqual([B]);
    const result = await provider.apply(resource, { add: [], remove: [], repair: [A, B] });
    expect(failure(result.added.get(A))).toMatchObject({ code: 'UNMANAGED_ENTRY_EXISTS' });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(pl.entries.find((e) => e.cidr === A)?.description).toBe('bob laptop');
  });

  it('reports a missing list as NOT_FOUND', async () => {
    await expect(provider.apply({ ...resource, identifier: 'pl-0123456789abcdef0' }, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });

  describe('verify', () => {
    it('reports permission and the entries left for its family', async () => {
      await provider.apply(resource, { add: [A], remove: [] });
      const v = await provider.verify(resource);
      expect(v).toMatchObject({ reachable: true, permitted: true, capacityLeft: { v4: 4, v6: 0 } });
      expect(pl.entries).toHaveLength(1);
    });

    it('is not permitted when the credential may not modify the list', async () => {
      fake.addAccessKey('AKIDPLREAD');
      fake.denyActions(['ModifyManagedPrefixList'], 'AKIDPLREAD');
      const p = createAwsPrefixListProvider(awsTestDeps(fake, { secrets: { 'env:RO': JSON.stringify({ accessKeyId: 'AKIDPLREAD', secretAccessKey: 'x' }) } }));
      const v = await p.verify({ ...resource, credential: { ...resource.credential!, secretRef: 'env:RO' } });
      expect(v).toMatchObject({ reachable: true, permitted: false });
      expect(v.message).toContain('ModifyManagedPrefixList');
    });

    it('is unreachable for a missing list', async () => {
      expect(await provider.verify({ ...resource, identifier: 'pl-0123456789abcdef0' })).toMatchObject({ reachable: false, permitted: false });
    });
  });
});
