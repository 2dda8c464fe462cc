import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsPrefixListProvider } from '../../src/cloud/aws-prefix-list/provider.ts';
import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import type { ApplyResult, FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps } from '../fakes/ec2/test-kit.ts';

const A = '198.51.100.7/32';
const B = '198.51.100.8/32';

/** apply(), reducing a thrown whole-call failure and per-CIDR failures to one shape. */
async function attempt(p: FirewallProvider, r: ResourceTarget, add: string[]): Promise<{ ok: boolean; code?: string; retryable?: boolean }> {
  let result: ApplyResult;
  try {
    result = await p.apply(r, { add, remove: [] });
  } catch (err) {
    const e = err as { code?: string; retryable?: boolean };
    return { ok: false, code: e.code, retryable: e.retryable };
  }
  const bad = [...result.added.values()].find((o) => !o.ok);
  return bad && !bad.ok ? { ok: false, code: bad.error.code, retryable: bad.error.retryable } : { ok: true };
}

describe('AWS providers under faults', () => {
  let fake: FakeEc2;
  let sg: FirewallProvider;
  let resource: ResourceTarget;

  beforeAll(async () => {
    fake = await startFakeEc2();
    sg = createAwsSecurityGroupProvider(awsTestDeps(fake)); // 2 attempts per call, 1 ms apart
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.clearFaults();
    fake.latencyMs = 0;
    resource = awsResource('aws-security-group', fake.addGroup().groupId);
  });

  it('rides out a throttling storm: every failure is retryable, then it converges', async () => {
    fake.throttle(9);
    const seen: { ok: boolean; code?: string; retryable?: boolean }[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await attempt(sg, resource, [A, B]);
      seen.push(r);
      if (r.ok) break;
    }
    const failures = seen.filter((r) => !r.ok);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.every((f) => f.code === 'THROTTLED' && f.retryable === true)).toBe(true);
    expect(seen.at(-1)).toEqual({ ok: true });
    expect((await sg.list(resource))?.map((e) => e.cidr).sort()).toEqual([A, B]);
  });

  it('lets the SDK retry a single throttle inside one apply', async () => {
    fake.throttle(1, 'AuthorizeSecurityGroupIngress');
    expect(await attempt(sg, resource, [A])).toEqual({ ok: true });
  });

  it('maps persistent 5xx to a retryable PROVIDER_UNAVAILABLE', async () => {
    fake.serverError(2, 'AuthorizeSecurityGroupIngress', 500);
    expect(await attempt(sg, resource, [A])).toEqual({ ok: false, code: 'PROVIDER_UNAVAILABLE', retryable: true });
    fake.serverError(2, 'DescribeSecurityGroupRules', 503);
    expect(await attempt(sg, resource, [A])).toEqual({ ok: false, code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(await attempt(sg, resource, [A])).toEqual({ ok: true });
  });

  it('turns a hung request into a retryable TIMEOUT and recovers', async () => {
    const quick = createAwsSecurityGroupProvider(awsTestDeps(fake, { overrides: { requestTimeoutMs: 150, maxAttempts: 1 } }));
    fake.hang(1, 'AuthorizeSecurityGroupIngress');
    const started = Date.now();
    expect(await attempt(quick, resource, [A])).toEqual({ ok: false, code: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await attempt(quick, resource, [A])).toEqual({ ok: true });
  });

  it('still answers under added latency', async () => {
    fake.latencyMs = 40;
    const started = Date.now();
    expect(await attempt(sg, resource, [A])).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(80); // describe + authorize
  });

  it('reports a whole-call failure of a prefix list as retryable too', async () => {
    const pl = createAwsPrefixListProvider(awsTestDeps(fake));
    const target = awsResource('aws-prefix-list', fake.addPrefixList().id);
    fake.throttle(2, 'ModifyManagedPrefixList');
    expect(await attempt(pl, target, [A])).toEqual({ ok: false, code: 'THROTTLED', retryable: true });
    fake.serverError(2, 'DescribeManagedPrefixLists');
    expect(await attempt(pl, target, [A])).toEqual({ ok: false, code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(await attempt(pl, target, [A])).toEqual({ ok: true });
  });
});
