import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGcp, type FakeGcp } from '../fakes/gcp/fake-gcp-compute.ts';

/** The parts of answers these tests look at: operations and REST error bodies. */
interface Answer {
  name: string;
  status: string;
  error: { message: string; errors: { reason?: string; code?: string }[] };
}

/** The emulator's own rules, driven over plain HTTP so they hold whatever client talks to it. */
describe('fake Compute Engine', () => {
  let fake: FakeGcp;
  let token: string;
  const base = () => `${fake.endpoint}/compute/v1/projects/p1/global`;
  const call = async (method: string, path: string, body?: unknown, auth = `Bearer ${token}`) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const rule = (name: string, sourceRanges: string[]) => ({ name, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges });

  beforeAll(async () => {
    fake = await startFakeGcp();
    token = fake.oauth.issue('tester@p1.iam.gserviceaccount.com');
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('refuses requests without a token it issued', async () => {
    const res = await call('GET', '/firewalls/x', undefined, 'Bearer forged');
    expect(res.status).toBe(401);
    expect(res.body.error.errors[0]?.reason).toBe('authError');
  });

  it('refuses a rule that mixes IPv4 and IPv6', async () => {
    const res = await call('POST', `/firewalls?requestId=${randomUUID()}`, rule('mixed', ['192.0.2.1/32', '2001:db8::1/128']));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('either IPv4 or IPv6 ranges, but not both');
  });

  it('applies a repeated requestId once and answers with the same operation', async () => {
    const requestId = randomUUID();
    const first = await call('POST', `/firewalls?requestId=${requestId}`, rule('dedupe', ['192.0.2.1/32']));
    const again = await call('POST', `/firewalls?requestId=${requestId}`, rule('dedupe', ['192.0.2.1/32']));
    expect(again.body.name).toBe(first.body.name);
    const done = await call('POST', `/operations/${first.body.name}/wait`, '');
    expect(done.body.status).toBe('DONE');
    expect(fake.firewall('p1', 'dedupe')?.sourceRanges).toEqual(['192.0.2.1/32']);
  });

  it('answers resourceNotReady while an operation on the rule is running', async () => {
    fake.model.opDurationMs = 200;
    try {
      const op = await call('POST', `/firewalls?requestId=${randomUUID()}`, rule('slow', ['192.0.2.2/32']));
      const early = await call('GET', '/firewalls/slow');
      expect(early.status).toBe(404); // assumed: GCE exposes the rule once its operation is DONE
      await call('POST', `/operations/${op.body.name}/wait`, '');
      const patch1 = await call('PATCH', `/firewalls/slow?requestId=${randomUUID()}`, { sourceRanges: ['192.0.2.3/32'] });
      const patch2 = await call('PATCH', `/firewalls/slow?requestId=${randomUUID()}`, { sourceRanges: ['192.0.2.4/32'] });
      expect(patch1.status).toBe(200);
      expect(patch2.status).toBe(400);
      expect(patch2.body.error.errors[0]?.reason).toBe('resourceNotReady');
    } finally {
      fake.model.opDurationMs = 0;
    }
  });

  it('ends an insert over the project quota with QUOTA_EXCEEDED inside the operation', async () => {
    fake.model.firewallQuota = fake.firewalls('p1').length;
    try {
      const op = await call('POST', `/firewalls?requestId=${randomUUID()}`, rule('one-too-many', ['192.0.2.5/32']));
      const done = await call('POST', `/operations/${op.body.name}/wait`, '');
      expect(done.body.error.errors[0]?.code).toBe('QUOTA_EXCEEDED');
      expect(fake.firewall('p1', 'one-too-many')).toBeUndefined();
    } finally {
      fake.model.firewallQuota = 500;
    }
  });

  it('counts calls per method and injects faults on the methods asked for', async () => {
    fake.resetCounters();
    fake.throttle(1, 'firewalls.get');
    expect((await call('GET', '/firewalls/dedupe')).status).toBe(429);
    expect((await call('GET', '/firewalls/dedupe')).status).toBe(200);
    expect(fake.calls['firewalls.get']).toBe(2);
  });
});
