import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureNsgProvider } from '../../src/cloud/azure-nsg/azure-nsg-provider.ts';
import type { FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startFakeAzure, type FakeAzure } from '../fakes/azure/fake-azure-arm.ts';

/**
 * The ARM client and ClientSecretCredential built from the org file's `endpoint` settings: no
 * endpoint overrides, only the test CA (in production the host's trust store, or
 * NODE_EXTRA_CA_CERTS, as the end-to-end test does). Two emulators stand for two clouds.
 */
const A = '198.51.100.7/32';
let one: FakeAzure;
let two: FakeAzure;
let provider: FirewallProvider;
const secrets = new Map<string, string>();

beforeAll(async () => {
  [one, two] = await Promise.all([startFakeAzure(), startFakeAzure()]);
  provider = createAzureNsgProvider({
    secrets: { resolve: async (ref) => secrets.get(ref) },
    logger: createLogger({ level: 'silent' }),
    overrides: { azure: { tlsCa: one.ca, maxRetries: 1, retryDelayMs: 5 } },
  });
});
afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

function resourceOn(fake: FakeAzure, opts: { options?: Record<string, unknown>; config?: Record<string, unknown> }): ResourceTarget {
  const principal = fake.addPrincipal({ role: 'contributor' });
  const ref = `env:AZ_${secrets.size}`;
  secrets.set(ref, principal.secretJson);
  const identifier = fake.addNsg({ subscriptionId: randomUUID(), resourceGroup: 'rg-eg', name: `nsg-${secrets.size}` });
  const id = randomUUID();
  return {
    id, orgId: 'org', name: `azure-${secrets.size}`, kind: 'azure-nsg', identifier, region: null, ports: [{ protocol: 'tcp', from: 22, to: 22 }],
    config: { priority: 300, ...opts.config },
    credential: { name: `azure-${secrets.size}`, provider: 'azure', secretRef: ref, options: opts.options ?? {} },
  };
}
const at = (fake: FakeAzure) => ({ armEndpoint: fake.endpoint, authorityHost: fake.authorityHost, pollIntervalMs: 100 });
const tokenScopes = (fake: FakeAzure) => fake.log.filter((l) => l.call === 'aad.token').map((l) => new URLSearchParams(String(l.body)).get('scope'));
const ruleSources = (fake: FakeAzure, r: ResourceTarget) => fake.rules(r.identifier).flatMap((x) => x.properties.sourceAddressPrefixes ?? []);

describe('azure-nsg endpoint settings', () => {
  it('reaches each resource\'s own cloud, token and all: the resource\'s config, else its credential\'s', async () => {
    const viaCredential = resourceOn(one, { options: { endpoint: { ...at(one), pollIntervalMs: 100 } } });
    const viaResource = resourceOn(two, { config: { endpoint: at(two) } });
    expect((await provider.apply(viaCredential, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect((await provider.apply(viaResource, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    expect(ruleSources(one, viaCredential)).toEqual([A]);
    expect(ruleSources(two, viaResource)).toEqual([A]);
    // Each authority issued the token for its own ARM.
    expect(tokenScopes(two)).toEqual([`${two.endpoint}/.default`]);
  });

  it('asks a named cloud\'s authority for a token for that cloud\'s ARM (here usgov, reached through the emulator)', async () => {
    const gov = resourceOn(one, { options: { endpoint: { cloud: 'usgov', ...at(one) } } });
    one.log.length = 0;
    await provider.apply(gov, { add: [A], remove: [] });
    expect(tokenScopes(one)).toEqual(['https://management.usgovcloudapi.net/.default']);
  });

  it('polls long-running writes at pollIntervalMs instead of the SDK\'s 2 s', async () => {
    const r = resourceOn(two, { config: { endpoint: { ...at(two), pollIntervalMs: 100 } } });
    two.pollsBeforeDone = 3;
    const started = Date.now();
    await provider.apply(r, { add: [A], remove: [] });
    two.pollsBeforeDone = 0;
    expect(Date.now() - started).toBeLessThan(5_000); // 3 polls at the SDK's 2 s would take 6 s
  });

  it('refuses half an explicit cloud, or http to another host, before sending the secret anywhere', async () => {
    one.log.length = 0;
    const half = resourceOn(one, { config: { endpoint: { armEndpoint: one.endpoint } } });
    await expect(provider.list(half)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/endpoint\.authorityHost: is required with armEndpoint/) });
    const http = resourceOn(one, { config: { endpoint: { cloud: 'usgov', authorityHost: 'http://login.example.org' } } });
    await expect(provider.list(http)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/must use https/) });
    expect(one.log).toEqual([]);
  });
});
