import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpFirewallProvider } from '../../src/cloud/gcp-firewall/gcp-provider.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createServiceAccount } from '../fakes/gcp/fake-oauth.ts';
import { createGcpTestEnv, KEY_REF, TEST_PROJECT, type GcpTestEnv } from '../fakes/gcp/harness.ts';

describe('gcp-firewall verify', () => {
  let env: GcpTestEnv;
  beforeAll(async () => {
    env = await createGcpTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** A second service account with only `permissions`, behind its own secret reference. */
  function restrictedAccount(ref: string, permissions: string[]): void {
    const sa = createServiceAccount(env.fake.oauth, { project: TEST_PROJECT, tokenUri: env.fake.tokenUri });
    env.fake.setPermissions(sa.email, permissions);
    env.secrets.set(ref, sa.json);
  }

  it('reports a permitted target with the room left per family', async () => {
    const r = env.newResource({ config: { maxSourceRanges: 10 } });
    expect(await env.provider.verify(r)).toEqual({ reachable: true, permitted: true, capacityLeft: { v4: 10, v6: 10 } });
    await env.provider.apply(r, { add: ['198.51.100.1/32', '198.51.100.2/32', '2001:db8::1/128'], remove: [] });
    expect(await env.provider.verify(r)).toMatchObject({ permitted: true, capacityLeft: { v4: 8, v6: 9 } });
  });

  it('reports a forbidden target without throwing, naming the missing permission', async () => {
    restrictedAccount('env:NO_NETWORK_READ', ['compute.firewalls.get']);
    const v = await env.provider.verify(env.newResource({ secretRef: 'env:NO_NETWORK_READ' }));
    expect(v).toMatchObject({ reachable: true, permitted: false, capacityLeft: { v4: null, v6: null } });
    expect(v.message).toContain("Required 'compute.networks.get' permission");
    expect(v.message).toContain('credential "gcp-test"');
  });

  it('reports a missing network as unreachable', async () => {
    const v = await env.provider.verify(env.newResource({ config: { network: 'no-such-net' } }));
    expect(v).toMatchObject({ reachable: false, permitted: false });
    expect(v.message).toContain("networks/no-such-net' was not found");
    expect(v.message).toContain('config.network');
  });

  it('reports a foreign rule under our name as not permitted', async () => {
    const r = env.newResource();
    env.fake.seedFirewall(TEST_PROJECT, { name: `${r.identifier}-v6`, description: 'hand made', sourceRanges: ['2001:db8::/32'] });
    const v = await env.provider.verify(r);
    expect(v).toMatchObject({ reachable: true, permitted: false });
    expect(v.message).toContain(`${r.identifier}-v6`);
  });

  it('reports credential problems as not permitted', async () => {
    env.secrets.set('env:EMPTY', '');
    env.secrets.set('env:NOT_JSON', 'AKIA-not-a-google-key');
    // A well-formed key Google does not know (never registered with the token endpoint).
    const unknown = JSON.parse(env.serviceAccount.json) as Record<string, string>;
    env.secrets.set('env:UNKNOWN_SA', JSON.stringify({ ...unknown, client_email: 'ghost@eg-test-proj.iam.gserviceaccount.com' }));
    const cases = [
      ['env:EMPTY', 'resolved to nothing'],
      ['env:NOT_JSON', 'is not a service-account JSON key'],
      ['env:UNKNOWN_SA', 'Google rejected credential "gcp-test"'],
    ] as const;
    for (const [ref, text] of cases) {
      const v = await env.provider.verify(env.newResource({ secretRef: ref }));
      expect(v, ref).toMatchObject({ permitted: false });
      expect(v.message, ref).toContain(text);
      expect(v.message, ref).not.toContain('PRIVATE KEY');
    }
    await expect(env.provider.apply(env.newResource({ secretRef: 'env:UNKNOWN_SA' }), { add: ['198.51.100.1/32'], remove: [] })).resolves.toMatchObject({});
  });

  it('reports an invalid config without throwing', async () => {
    const v = await env.provider.verify(env.newResource({ config: { priority: 70000 } }));
    expect(v).toMatchObject({ reachable: false, permitted: false });
    expect(v.message).toContain('config.priority');
  });

  it('reports an endpoint that does not answer as unreachable', async () => {
    const provider = createGcpFirewallProvider({
      secrets: { resolve: async (ref) => env.secrets.get(ref) },
      logger: createLogger({ level: 'silent' }),
      overrides: { gcp: { endpoint: 'http://127.0.0.1:1', tokenUri: env.fake.tokenUri, timeoutMs: 500, retryDelayMs: 5 } },
    });
    const v = await provider.verify(env.newResource({ secretRef: KEY_REF }));
    expect(v).toMatchObject({ reachable: false, permitted: false });
    expect(v.message).toMatch(/Could not reach|did not answer/);
  });
});
