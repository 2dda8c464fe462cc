import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpFirewallProvider } from '../../src/cloud/gcp-firewall/gcp-provider.ts';
import type { FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createServiceAccount } from '../fakes/gcp/fake-oauth.ts';
import { startFakeGcp, type FakeGcp } from '../fakes/gcp/fake-gcp-compute.ts';

/**
 * The Compute clients and the service-account token grant built from the org file's `endpoint`
 * settings (say Private Service Connect endpoints), with no endpoint overrides. Two emulators,
 * each with its own token endpoint and key, stand for two networks.
 */
const PROJECT = 'eg-psc-proj';
const A = '198.51.100.9/32';
let one: FakeGcp;
let two: FakeGcp;
let provider: FirewallProvider;
const secrets = new Map<string, string>();

beforeAll(async () => {
  [one, two] = await Promise.all([startFakeGcp(), startFakeGcp()]);
  for (const [ref, fake] of [['env:KEY_ONE', one], ['env:KEY_TWO', two]] as const) {
    secrets.set(ref, createServiceAccount(fake.oauth, { project: PROJECT, tokenUri: 'https://oauth2.googleapis.com/token' }).json);
  }
  provider = createGcpFirewallProvider({
    secrets: { resolve: async (ref) => secrets.get(ref) },
    logger: createLogger({ level: 'silent' }),
    overrides: { gcp: { timeoutMs: 5_000, operationTimeoutMs: 5_000, retryDelayMs: 10 } },
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

function resource(secretRef: string, opts: { options?: Record<string, unknown>; config?: Record<string, unknown> } = {}): ResourceTarget {
  return {
    id: randomUUID(), orgId: 'org', name: `gcp-${randomUUID().slice(0, 6)}`, kind: 'gcp-firewall', identifier: `eg-${randomUUID().slice(0, 6)}`, region: null,
    ports: [{ protocol: 'tcp', from: 22, to: 22 }],
    config: { project: PROJECT, ...opts.config },
    credential: { name: secretRef, provider: 'gcp', secretRef, options: opts.options ?? {} },
  };
}
const at = (fake: FakeGcp) => ({ apiEndpoint: fake.endpoint, tokenUrl: fake.tokenUri });

describe('gcp-firewall endpoint settings', () => {
  it('signs in at each resource\'s token URL and writes through its API endpoint', async () => {
    const viaCredential = resource('env:KEY_ONE', { options: { endpoint: at(one) } });
    const viaResource = resource('env:KEY_TWO', { config: { endpoint: at(two) } });
    expect((await provider.apply(viaCredential, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect((await provider.apply(viaResource, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect(one.firewall(PROJECT, `${viaCredential.identifier}-v4`)?.sourceRanges).toEqual([A]);
    expect(two.firewall(PROJECT, `${viaResource.identifier}-v4`)?.sourceRanges).toEqual([A]);
    expect([one.calls['oauth.token'], two.calls['oauth.token']]).toEqual([1, 1]);
    expect(one.firewall(PROJECT, `${viaResource.identifier}-v4`)).toBeUndefined();
  }, 60_000);

  it('refuses an API endpoint with a path, plain http to another host, and tokenUrl with the default credentials', async () => {
    const before = one.calls['oauth.token'];
    await expect(provider.list(resource('env:KEY_ONE', { config: { endpoint: { apiEndpoint: `${one.endpoint}/compute/v1` } } }))).rejects.toMatchObject({
      code: 'INVALID_CONFIG', message: expect.stringMatching(/endpoint\.apiEndpoint: must be only scheme, host and port/),
    });
    await expect(provider.list(resource('env:KEY_ONE', { config: { endpoint: { tokenUrl: 'http://oauth.psc.example/token' } } }))).rejects.toMatchObject({
      code: 'INVALID_CONFIG', message: expect.stringMatching(/endpoint\.tokenUrl: must use https/),
    });
    await expect(provider.list(resource('default', { config: { endpoint: at(one) } }))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/service-account keys/) });
    expect(one.calls['oauth.token']).toBe(before);
  });
});
