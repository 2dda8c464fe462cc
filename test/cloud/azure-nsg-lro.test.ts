import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult } from '../../src/engine/ports.ts';
import { managedCidrs, setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/** Long-running operations, busy NSGs, throttling, 5xx and hung requests. */

let az: AzureTestSetup;
beforeAll(async () => {
  az = await setupAzure();
});
afterAll(async () => {
  await az?.close();
});
beforeEach(() => {
  az.fake.clearFaults();
  az.fake.pollsBeforeDone = 1;
  az.fake.retryAfterSeconds = undefined;
  az.fake.resetCalls();
});

const A = '198.51.100.7/32';
const B = '203.0.113.9/32';

function outcomeOf(result: ApplyResult, cidr: string) {
  const o = result.added.get(cidr) ?? result.removed.get(cidr);
  return o && !o.ok ? { ok: false, code: o.error.code, retryable: o.error.retryable, message: o.error.message } : { ok: true };
}

describe('azure-nsg long-running operations and transient failures', () => {
  it('polls the operation until it succeeds', async () => {
    const r = az.newResource();
    az.fake.pollsBeforeDone = 4;
    const result = await az.provider.apply(r, { add: [A], remove: [] });
    expect(outcomeOf(result, A)).toEqual({ ok: true });
    expect(az.fake.calls['operation.get']).toBe(5); // 4 × InProgress, then Succeeded
    expect(managedCidrs(az.fake, r)).toEqual([A]);
    expect(az.fake.rule(r.identifier, `entryguard-${r.id}-tcp-v4`)?.provisioningState).toBe('Succeeded');
  });

  it('honours Retry-After when no poll interval is configured', async () => {
    const slow = await setupAzure({ overrides: { pollIntervalMs: undefined } });
    try {
      const r = slow.newResource();
      slow.fake.retryAfterSeconds = 1;
      const started = Date.now();
      await slow.provider.apply(r, { add: [A], remove: [] });
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(950);
      expect(took).toBeLessThan(1900); // the SDK default would be 2 s
    } finally {
      await slow.close();
    }
  });

  it('reads the ARM code of a failed operation: transient ones retry, rule errors do not', async () => {
    const r = az.newResource();
    az.fake.failNextOperation({ code: 'InternalServerError', message: 'An error occurred.' });
    const transient = await az.provider.apply(r, { add: [A], remove: [] });
    expect(outcomeOf(transient, A)).toMatchObject({ ok: false, code: 'UNAVAILABLE', retryable: true });
    expect(managedCidrs(az.fake, r)).toEqual([]); // the failed PUT was rolled back

    az.fake.failNextOperation({ code: 'SecurityRuleConflict', message: 'Security rule a conflicts with rule b.' });
    const permanent = await az.provider.apply(r, { add: [A], remove: [] });
    expect(outcomeOf(permanent, A)).toMatchObject({ ok: false, code: 'PRIORITY_CONFLICT', retryable: false });

    expect(outcomeOf(await az.provider.apply(r, { add: [A], remove: [] }), A)).toEqual({ ok: true });
  });

  it('treats AnotherOperationInProgress (409) as retryable, for adds and removals', async () => {
    const r = az.newResource();
    await az.provider.apply(r, { add: [A], remove: [] });
    const release = az.fake.holdOperation(r.identifier);
    const busy = await az.provider.apply(r, { add: [B], remove: [A] });
    expect(outcomeOf(busy, B)).toMatchObject({ ok: false, code: 'CONFLICT', retryable: true });
    expect(outcomeOf(busy, A)).toMatchObject({ ok: false, code: 'CONFLICT', retryable: true });
    expect(outcomeOf(busy, B).message).toContain('AnotherOperationInProgress');
    release();
    const after = await az.provider.apply(r, { add: [B], remove: [A] });
    expect(outcomeOf(after, B)).toEqual({ ok: true });
    expect(managedCidrs(az.fake, r)).toEqual([B]);
  });

  it('maps 429 without Retry-After to a retryable outcome (the job backs off), and lets the SDK retry with Retry-After', async () => {
    const r = az.newResource();
    az.fake.throttle(1);
    const throttled = await az.provider.apply(r, { add: [A], remove: [] });
    expect(outcomeOf(throttled, A)).toMatchObject({ ok: false, code: 'THROTTLED', retryable: true });
    expect(az.fake.calls['rule.put']).toBe(1);

    az.fake.resetCalls();
    az.fake.throttle(1, { retryAfterSeconds: 0 });
    const retried = await az.provider.apply(r, { add: [A], remove: [] });
    expect(outcomeOf(retried, A)).toEqual({ ok: true });
    expect(az.fake.calls['rule.put']).toBe(2);
  });

  it('survives a throttling storm and converges once it passes', async () => {
    const r = az.newResource();
    const want = [A, B, '2001:db8::7/128'];
    az.fake.throttle(7); // every write of the next few syncs is throttled
    let attempts = 0;
    let pending = want;
    while (pending.length && attempts < 10) {
      attempts += 1;
      const result = await az.provider.apply(r, { add: pending, remove: [] });
      for (const cidr of pending) {
        const o = outcomeOf(result, cidr);
        if (!o.ok) expect(o).toMatchObject({ code: 'THROTTLED', retryable: true });
      }
      pending = pending.filter((c) => !result.added.get(c)?.ok);
    }
    expect(pending).toEqual([]);
    expect(attempts).toBeGreaterThan(3);
    expect(managedCidrs(az.fake, r)).toEqual([...want].sort());
    expect(az.fake.calls['rule.put']).toBe(7 + 2);
  });

  it('lets the SDK retry a 503, and reports a retryable error when 5xx persists', async () => {
    const r = az.newResource();
    az.fake.failNext(1, { calls: ['rule.put'] });
    expect(outcomeOf(await az.provider.apply(r, { add: [A], remove: [] }), A)).toEqual({ ok: true });

    az.fake.failNext(50, { status: 500, code: 'InternalServerError', calls: ['nsg.get'] });
    await expect(az.provider.apply(r, { add: [B], remove: [] })).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(az.fake.calls['nsg.get']).toBe(1 + 3); // first apply, then 1 + maxRetries (2)
  });

  it('gives up on a hung request at config.timeoutSeconds with a retryable TIMEOUT', async () => {
    const r = az.newResource({ config: { timeoutSeconds: 0.5 } });
    az.fake.hang(1, ['rule.put']);
    const started = Date.now();
    const result = await az.provider.apply(r, { add: [A], remove: [] });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcomeOf(result, A)).toMatchObject({ ok: false, code: 'TIMEOUT', retryable: true });
    expect(outcomeOf(await az.provider.apply(r, { add: [A], remove: [] }), A)).toEqual({ ok: true });
  });

  it('treats a missing NSG as: removals done, additions refused for good', async () => {
    const r = az.newResource();
    const gone = { ...r, identifier: r.identifier.replace(/nsg-\d+$/, 'nsg-deleted') };
    const result = await az.provider.apply(gone, { add: [A], remove: [B] });
    expect(outcomeOf(result, A)).toMatchObject({ ok: false, code: 'NOT_FOUND', retryable: false });
    expect(outcomeOf(result, A).message).toContain('nsg-deleted');
    expect(outcomeOf(result, B)).toEqual({ ok: true });
  });
});
