import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureNsgProvider } from '../../src/cloud/azure-nsg/azure-nsg-provider.ts';
import type { ResourceTarget } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/**
 * Credentials come from references only, through the real ClientSecretCredential talking to
 * the fake's Entra ID endpoints (never login.microsoftonline.com, never IMDS).
 */

let az: AzureTestSetup;
beforeAll(async () => {
  az = await setupAzure();
});
afterAll(async () => {
  await az?.close();
});

const A = '198.51.100.7/32';

function providerWith(secrets: Record<string, string>) {
  return createAzureNsgProvider({
    secrets: { resolve: async (ref) => secrets[ref] },
    logger: createLogger({ level: 'silent' }),
    overrides: { azure: az.overrides },
  });
}

function withRef(r: ResourceTarget, secretRef: string): ResourceTarget {
  return { ...r, credential: { ...r.credential!, secretRef } };
}

describe('azure-nsg credentials', () => {
  it('gets a token from the (fake) authority once and reuses client and token across calls', async () => {
    const r = az.newResource();
    // a second NSG in the same subscription, reached with the same credential
    const nsg2 = az.fake.addNsg({ subscriptionId: r.identifier.split('/')[2], resourceGroup: 'rg-entryguard', name: 'nsg-shared' });
    az.fake.resetCalls();
    await az.provider.apply(r, { add: [A], remove: [] });
    await az.provider.list(r);
    await az.provider.apply({ ...r, id: 'another-resource', identifier: nsg2 }, { add: [A], remove: [] });
    expect(az.fake.calls['aad.token']).toBe(1);
    expect(az.fake.log.filter((l) => l.call === 'aad.token').every((l) => typeof l.body === 'string' && l.body.includes('grant_type=client_credentials'))).toBe(true);
  });

  it('picks up a rotated secret (a new secret value means a new client)', async () => {
    const r = az.newResource();
    const p = [...az.fake.aad.principals.values()].at(-1)!;
    const secrets: Record<string, string> = { 'file:/run/secrets/az': JSON.stringify({ tenantId: p.tenantId, clientId: p.clientId, clientSecret: p.clientSecret }) };
    const provider = providerWith(secrets);
    const res = withRef(r, 'file:/run/secrets/az');
    expect((await provider.apply(res, { add: [A], remove: [] })).added.get(A)).toMatchObject({ ok: true });
    p.clientSecret = 'new-secret-value';
    secrets['file:/run/secrets/az'] = JSON.stringify({ tenantId: p.tenantId, clientId: p.clientId, clientSecret: 'new-secret-value' });
    az.fake.resetCalls();
    expect(await provider.list(res)).toEqual([{ cidr: A, ruleId: `entryguard-${r.id}-tcp-v4`, intact: true }]);
    expect(az.fake.calls['aad.token']).toBe(1); // the new secret was used to get a new token
  });

  it('fails permanently with an actionable message when the secret is missing, malformed or absent', async () => {
    const r = az.newResource();
    const provider = providerWith({ 'env:AZ_BAD': 'not json', 'env:AZ_PARTIAL': JSON.stringify({ tenantId: 't' }) });
    await expect(provider.apply(withRef(r, 'env:AZ_UNSET'), { add: [A], remove: [] })).rejects.toMatchObject({
      code: 'CREDENTIAL_MISSING',
      retryable: false,
      message: expect.stringContaining('env:AZ_UNSET'),
    });
    await expect(provider.apply(withRef(r, 'env:AZ_BAD'), { add: [A], remove: [] })).rejects.toMatchObject({
      code: 'CREDENTIAL_INVALID',
      message: expect.stringContaining('tenantId'),
    });
    await expect(provider.apply(withRef(r, 'env:AZ_PARTIAL'), { add: [A], remove: [] })).rejects.toMatchObject({ code: 'CREDENTIAL_INVALID' });
    await expect(provider.apply({ ...r, credential: null }, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'CREDENTIAL_MISSING' });
  });

  it('maps a wrong secret to AUTH_FAILED with the Entra ID reason, not retried', async () => {
    const r = az.newResource();
    const p = [...az.fake.aad.principals.values()].at(-1)!;
    const provider = providerWith({ 'env:AZ_WRONG': JSON.stringify({ tenantId: p.tenantId, clientId: p.clientId, clientSecret: 'wrong' }) });
    const err = await provider.apply(withRef(r, 'env:AZ_WRONG'), { add: [A], remove: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect((err as Error).message).toContain('AADSTS7000215');
    expect((err as Error).message).not.toContain('wrong'); // the secret never appears in messages
  });

  it('maps an unknown tenant (authority metadata refused) to a retryable AUTH_UNAVAILABLE', async () => {
    const r = az.newResource();
    const provider = providerWith({ 'env:AZ_TENANT': JSON.stringify({ tenantId: 'no-such-tenant', clientId: 'x', clientSecret: 'y' }) });
    await expect(provider.apply(withRef(r, 'env:AZ_TENANT'), { add: [A], remove: [] })).rejects.toMatchObject({
      code: 'AUTH_UNAVAILABLE',
      retryable: true,
    });
  });
});
