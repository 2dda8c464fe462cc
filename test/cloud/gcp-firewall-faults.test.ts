import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CidrOutcome } from '../../src/engine/ports.ts';
import { createGcpTestEnv, type GcpTestEnv } from '../fakes/gcp/harness.ts';

const A = '198.51.100.7/32';
const B = '203.0.113.9/32';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function errorOf(outcome: CidrOutcome | undefined) {
  expect(outcome).toMatchObject({ ok: false });
  return outcome && !outcome.ok ? outcome.error : undefined;
}

describe('gcp-firewall faults', () => {
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
    env.fake.model.opDurationMs = 0;
  });

  it('sends a UUID requestId with every mutation', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    await env.provider.apply(r, { add: [B], remove: [] });
    await env.provider.apply(r, { add: [], remove: [A, B] });
    const mutations = env.fake.requests.filter((q) => q.method.startsWith('firewalls.') && !q.method.endsWith('get'));
    expect(mutations.map((q) => q.method)).toEqual(['firewalls.insert', 'firewalls.patch', 'firewalls.delete']);
    for (const q of mutations) expect(q.requestId).toMatch(UUID);
    expect(new Set(mutations.map((q) => q.requestId)).size).toBe(3);
  });

  it.each(['503', 'reset'] as const)('re-sends a mutation whose answer was lost (%s) with the same requestId, applied once', async (mode) => {
    const r = env.newResource();
    const appliedBefore = env.fake.model.applied;
    env.fake.loseResponses(1, 'firewalls.insert', mode);
    const result = await env.provider.apply(r, { add: [A], remove: [] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    const inserts = env.fake.requests.filter((q) => q.method === 'firewalls.insert');
    expect(inserts).toHaveLength(2);
    expect(inserts[1]!.requestId).toBe(inserts[0]!.requestId);
    expect(env.fake.model.applied - appliedBefore).toBe(1);
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([A]);
  });

  it('surfaces an operation that ends with an error', async () => {
    const r = env.newResource();
    env.fake.failNextOperation({ code: 'QUOTA_EXCEEDED', message: "Quota 'FIREWALLS' exceeded.  Limit: 200.0 globally.", httpStatus: 403 });
    const quota = errorOf((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A));
    expect(quota).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
    expect(quota?.message).toContain("Quota 'FIREWALLS' exceeded");
    expect(env.rule(r, 'v4')).toBeUndefined();

    env.fake.failNextOperation({ code: 'INTERNAL_ERROR', message: 'Internal error. Please try again.', httpStatus: 500 });
    const internal = errorOf((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A));
    expect(internal).toMatchObject({ code: 'OPERATION_FAILED', retryable: true });

    expect((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
  });

  it('reports the real per-project firewall quota from the insert operation', async () => {
    env.fake.model.firewallQuota = env.fake.firewalls('eg-test-proj').length;
    try {
      const r = env.newResource();
      const error = errorOf((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A));
      expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
    } finally {
      env.fake.model.firewallQuota = 500;
    }
  });

  it('retries a rule that is busy with another operation (resourceNotReady)', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    env.fake.resetCounters();
    env.fake.busy('eg-test-proj', `${r.identifier}-v4`, 60);
    const result = await env.provider.apply(r, { add: [B], remove: [] });
    expect(result.added.get(B)).toMatchObject({ ok: true });
    expect(env.fake.calls['firewalls.patch']).toBeGreaterThan(1);
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([A, B]);
  });

  it('gives up on a rule that stays busy with a retryable error after a bounded number of attempts', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: [A], remove: [] });
    env.fake.resetCounters();
    env.fake.busy('eg-test-proj', `${r.identifier}-v4`, 10_000);
    const error = errorOf((await env.provider.apply(r, { add: [B], remove: [] })).added.get(B));
    expect(error).toMatchObject({ code: 'RESOURCE_NOT_READY', retryable: true });
    expect(env.fake.calls['firewalls.patch']).toBe(5);
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([A]);
  });

  it('waits for a slow operation before reporting success', async () => {
    const r = env.newResource();
    env.fake.model.opDurationMs = 150;
    const started = Date.now();
    const result = await env.provider.apply(r, { add: [A], remove: [] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(env.fake.calls['globalOperations.wait']).toBeGreaterThanOrEqual(1);
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([A]);
  });

  it('maps a throttling storm to retryable errors without amplifying it, then recovers', async () => {
    const r = env.newResource();
    env.fake.throttle(1000);
    for (let i = 0; i < 5; i++) {
      const error = errorOf((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A));
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    }
    // One request per apply while throttled: backoff belongs to the job queue, not to a hot loop here.
    expect(env.fake.calls['firewalls.get']).toBe(5);
    expect(env.fake.calls['firewalls.insert']).toBe(0);
    env.fake.resetFaults();
    expect((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect(env.rule(r, 'v4')?.sourceRanges).toEqual([A]);
  });

  it('lets the SDK retry reads on 503 and maps mutation 5xx that persist to retryable errors', async () => {
    const r = env.newResource();
    env.fake.serverErrors(2, 'firewalls.get');
    expect((await env.provider.apply(r, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect(env.fake.calls['firewalls.get']).toBe(3);

    env.fake.serverErrors(10, 'mutations');
    const error = errorOf((await env.provider.apply(r, { add: [B], remove: [] })).added.get(B));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    const patches = env.fake.requests.filter((q) => q.method === 'firewalls.patch');
    expect(patches).toHaveLength(3); // sent, then re-sent twice under the same requestId
    expect(new Set(patches.map((q) => q.requestId)).size).toBe(1);
  });

  it('times out a hung request with a retryable error', async () => {
    const r = env.newResource();
    env.fake.hang(1, 'firewalls.insert');
    const started = Date.now();
    const result = await env.provider.apply(r, { add: [A], remove: [] });
    // The hung insert times out; the re-send with the same requestId then goes through.
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    env.fake.hang(100, 'firewalls.get');
    await expect(env.provider.list(r)).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('keeps working with added latency', async () => {
    env.fake.latencyMs = 40;
    try {
      const r = env.newResource();
      expect((await env.provider.apply(r, { add: [A, '2001:db8::1/128'], remove: [] })).added.get(A)).toMatchObject({ ok: true });
      expect(env.cloudCidrs(r)).toEqual([A, '2001:db8::1/128']);
    } finally {
      env.fake.latencyMs = 0;
    }
  });
});
