import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureNsgProvider } from '../../src/cloud/azure-nsg/azure-nsg-provider.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { setupAzure, type AzureTestSetup } from '../fakes/azure/azure-test-setup.ts';

/** verify(): reads only, never throws, tells reachable / permitted / capacity apart. */

let az: AzureTestSetup;
beforeAll(async () => {
  az = await setupAzure();
});
afterAll(async () => {
  await az?.close();
});

describe('azure-nsg verify', () => {
  it('reports a permitted NSG with its capacity, using reads only', async () => {
    const r = az.newResource();
    az.fake.seedRule(r.identifier, 'team', { priority: 1000, sourceAddressPrefixes: ['10.1.0.0/16', '10.2.0.0/16'] });
    az.fake.resetCalls();
    const v = await az.provider.verify(r);
    expect(v).toEqual({ reachable: true, permitted: true, capacityLeft: { v4: 3998, v6: 3998 }, message: undefined });
    expect(Object.keys(az.fake.calls).filter((c) => !c.startsWith('aad.')).sort()).toEqual(['nsg.get', 'permissions.get']);
  });

  it('says not permitted when the credential may only read, naming the missing actions', async () => {
    const r = az.newResource({ role: 'reader' });
    const v = await az.provider.verify(r);
    expect(v).toMatchObject({ reachable: true, permitted: false });
    expect(v.message).toContain('Microsoft.Network/networkSecurityGroups/securityRules/write');
  });

  it('says not permitted when the credential may not even read the NSG', async () => {
    const r = az.newResource({ role: 'none' });
    const v = await az.provider.verify(r);
    expect(v).toMatchObject({ reachable: true, permitted: false, capacityLeft: { v4: 0, v6: 0 } });
    expect(v.message).toContain('AuthorizationFailed');
    // ... and apply fails permanently with the same diagnosis.
    const result = await az.provider.apply(r, { add: ['198.51.100.7/32'], remove: [] }).catch((e: unknown) => e);
    expect(result).toMatchObject({ code: 'FORBIDDEN', retryable: false });
  });

  it('says not reachable for an NSG that does not exist', async () => {
    const r = az.newResource();
    const v = await az.provider.verify({ ...r, identifier: r.identifier.replace(/nsg-\d+$/, 'nope') });
    expect(v).toMatchObject({ reachable: false, permitted: false });
    expect(v.message).toContain('ResourceNotFound');
  });

  it('says not permitted, without throwing, for a wrong client secret (real Entra ID error from the fake)', async () => {
    const r = az.newResource();
    const p = [...az.fake.aad.principals.values()].at(-1)!;
    p.clientSecret = 'rotated-elsewhere';
    const v = await az.provider.verify(r);
    expect(v).toMatchObject({ reachable: true, permitted: false });
    expect(v.message).toContain('AADSTS7000215');
  });

  it('notes a taken priority and reports no capacity for that family', async () => {
    const r = az.newResource({ config: { priority: 900 } });
    az.fake.seedRule(r.identifier, 'someone-elses', { priority: 901 });
    const v = await az.provider.verify(r);
    expect(v).toMatchObject({ reachable: true, permitted: true, capacityLeft: { v4: 3999, v6: 0 } });
    expect(v.message).toContain('someone-elses');
  });

  it('never throws for bad config or an unreachable endpoint', async () => {
    const r = az.newResource();
    await expect(az.provider.verify({ ...r, config: {} })).resolves.toMatchObject({ reachable: false, permitted: false });
    await expect(az.provider.verify({ ...r, credential: null })).resolves.toMatchObject({
      reachable: false,
      message: expect.stringContaining('credential'),
    });

    const closed = await setupAzure();
    const offline = createAzureNsgProvider({
      secrets: { resolve: async () => JSON.stringify({ tenantId: 't', clientId: 'c', clientSecret: 's' }) },
      logger: createLogger({ level: 'silent' }),
      overrides: { azure: { ...closed.overrides, maxRetries: 0 } },
    });
    await closed.close(); // nothing listens on that port any more
    const v = await offline.verify({ ...r, config: { priority: 300, timeoutSeconds: 5 } });
    expect(v).toMatchObject({ reachable: false, permitted: false });
  });
});
