import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceAccount } from '../fakes/gcp/fake-oauth.ts';
import { createGcpTestEnv, KEY_REF, TEST_PROJECT, type GcpTestEnv } from '../fakes/gcp/harness.ts';

describe('gcp-firewall credentials', () => {
  let env: GcpTestEnv;
  beforeAll(async () => {
    env = await createGcpTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('signs in with the service-account key (JWT grant) once and reuses the token', async () => {
    env.fake.resetCounters();
    const r = env.newResource();
    await env.provider.apply(r, { add: ['198.51.100.1/32'], remove: [] });
    await env.provider.apply(r, { add: ['198.51.100.2/32'], remove: [] });
    await env.provider.list(r);
    expect(env.fake.calls['oauth.token']).toBe(1);
    const principals = new Set(env.fake.requests.map((q) => q.principal));
    expect(principals).toEqual(new Set([env.serviceAccount.email]));
  });

  it('keeps one client per project and credential', async () => {
    env.fake.resetCounters();
    const other = 'eg-other-proj';
    await env.provider.apply(env.newResource({ config: { project: other } }), { add: ['198.51.100.3/32'], remove: [] });
    await env.provider.apply(env.newResource({ config: { project: other } }), { add: ['198.51.100.4/32'], remove: [] });
    await env.provider.apply(env.newResource(), { add: ['198.51.100.5/32'], remove: [] });
    expect(env.fake.calls['oauth.token']).toBe(1); // only the new (project, credential) pair signs in
    expect(env.fake.firewalls(other)).toHaveLength(2);
  });

  it('picks up a rotated key behind the same reference', async () => {
    const rotated = createServiceAccount(env.fake.oauth, { project: TEST_PROJECT, tokenUri: env.fake.tokenUri });
    const previous = env.secrets.get(KEY_REF)!;
    env.secrets.set(KEY_REF, rotated.json);
    try {
      env.fake.resetCounters();
      await env.provider.apply(env.newResource(), { add: ['198.51.100.6/32'], remove: [] });
      expect(env.fake.calls['oauth.token']).toBe(1);
      expect(new Set(env.fake.requests.map((q) => q.principal))).toEqual(new Set([rotated.email]));
    } finally {
      env.secrets.set(KEY_REF, previous);
    }
  });

  it('maps a missing write permission to a permanent error that says what to grant', async () => {
    const sa = createServiceAccount(env.fake.oauth, { project: TEST_PROJECT, tokenUri: env.fake.tokenUri });
    env.fake.setPermissions(sa.email, ['compute.firewalls.get', 'compute.networks.get', 'compute.globalOperations.get']);
    env.secrets.set('env:READ_ONLY', sa.json);
    const r = env.newResource({ secretRef: 'env:READ_ONLY' });
    // Reads work, so verify cannot see this (documented): the first apply does.
    expect(await env.provider.verify(r)).toMatchObject({ permitted: true });
    const outcome = (await env.provider.apply(r, { add: ['198.51.100.7/32'], remove: [] })).added.get('198.51.100.7/32');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', retryable: false } });
    if (outcome && !outcome.ok) {
      expect(outcome.error.message).toContain("Required 'compute.firewalls.create' permission");
      expect(outcome.error.message).toContain('README');
    }
  });

  it('refuses a key that Google does not know with a permanent error', async () => {
    const key = JSON.parse(env.serviceAccount.json) as Record<string, string>;
    env.secrets.set('env:GHOST', JSON.stringify({ ...key, client_email: 'ghost@eg-test-proj.iam.gserviceaccount.com' }));
    const outcome = (await env.provider.apply(env.newResource({ secretRef: 'env:GHOST' }), { add: ['198.51.100.8/32'], remove: [] })).added.get(
      '198.51.100.8/32',
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_REJECTED', retryable: false } });
  });

  it('throws a permanent error when the reference resolves to nothing', async () => {
    await expect(
      env.provider.apply(env.newResource({ secretRef: 'file:/nonexistent/key.json' }), { add: ['198.51.100.9/32'], remove: [] }),
    ).rejects.toMatchObject({ code: 'CREDENTIAL_MISSING', retryable: false });
  });

  it('signs in again when Google no longer accepts the token', async () => {
    const r = env.newResource();
    await env.provider.apply(r, { add: ['198.51.100.10/32'], remove: [] });
    env.fake.oauth.expireAll();
    env.fake.resetCounters();
    const outcome = (await env.provider.apply(r, { add: ['198.51.100.11/32'], remove: [] })).added.get('198.51.100.11/32');
    expect(outcome).toMatchObject({ ok: true });
    expect(env.fake.calls['oauth.token']).toBe(1);
  });
});
