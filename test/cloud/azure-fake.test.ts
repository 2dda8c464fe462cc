import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAzure, type FakeAzure } from '../fakes/azure/fake-azure-arm.ts';

/**
 * The fake itself: it must refuse what NRP refuses (the provider's pre-checks hide that from
 * the provider tests), and be what the benchmark expects.
 */

let fake: FakeAzure;
beforeAll(async () => {
  fake = await startFakeAzure();
});
afterAll(async () => {
  await fake?.close();
});

async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${fake.endpoint}${path}`,
      { method, ca: fake.ca, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

async function token(): Promise<string> {
  const p = fake.addPrincipal();
  const form = new URLSearchParams({ client_id: p.clientId, client_secret: p.clientSecret, grant_type: 'client_credentials', scope: 'https://management.azure.com/.default' });
  const res = await call('POST', `/${p.tenantId}/oauth2/v2.0/token`, form.toString());
  return (res.json as unknown as { access_token: string }).access_token;
}

const rule = (priority: number, prefixes: string[]) => ({
  properties: { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority, sourcePortRange: '*', destinationPortRange: '22', sourceAddressPrefixes: prefixes, destinationAddressPrefix: '*' },
});
const q = '?api-version=2026-01-01';

describe('fake Azure ARM', () => {
  it('authenticates, validates and enforces NSG limits with the real codes', async () => {
    const nsg = fake.addNsg();
    const t = await token();
    expect((await call('GET', `${nsg}${q}`)).status).toBe(401);
    expect((await call('GET', nsg, undefined, t)).json.error?.code).toBe('MissingApiVersionParameter');
    expect((await call('PUT', `${nsg}/securityRules/mixed${q}`, rule(100, ['10.0.0.0/8', '2001:db8::/32']), t)).json.error?.code).toBe(
      'ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies',
    );
    expect((await call('PUT', `${nsg}/securityRules/hostbits${q}`, rule(100, ['10.0.0.5/24']), t)).json.error?.code).toBe('SecurityRuleInvalidAddressPrefix');
    expect((await call('PUT', `${nsg}/securityRules/low${q}`, rule(99, ['10.0.0.0/8']), t)).json.error?.code).toBe('SecurityRuleInvalidPriority');

    fake.seedRule(nsg, 'existing', { priority: 100 });
    expect((await call('PUT', `${nsg}/securityRules/dup${q}`, rule(100, ['10.0.0.0/8']), t)).json.error?.code).toBe('SecurityRuleConflict');

    fake.seedRule(nsg, 'big', { priority: 101, sourceAddressPrefixes: Array.from({ length: 3998 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) });
    expect((await call('PUT', `${nsg}/securityRules/two${q}`, rule(102, ['192.0.2.1/32', '192.0.2.2/32']), t)).json.error?.code).toBe(
      'SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached',
    );

    const full = fake.addNsg();
    for (let i = 0; i < 1000; i++) fake.seedRule(full, `r${i}`, { priority: 1000 + i });
    expect((await call('PUT', `${full}/securityRules/one-more${q}`, rule(3000, ['192.0.2.1/32']), t)).json.error?.code).toBe('SecurityRuleCountLimitReached');
  });

  it('answers AnotherOperationInProgress while an operation is pending, and counts calls', async () => {
    const nsg = fake.addNsg();
    const t = await token();
    fake.resetCalls();
    const put = await call('PUT', `${nsg}/securityRules/a${q}`, rule(200, ['192.0.2.1/32']), t);
    expect(put.status).toBe(201);
    expect(fake.rule(nsg, 'a')?.provisioningState).toBe('Updating');
    const second = await call('PUT', `${nsg}/securityRules/b${q}`, rule(201, ['192.0.2.2/32']), t);
    expect(second).toMatchObject({ status: 409, json: { error: { code: 'AnotherOperationInProgress' } } });
    expect(fake.calls).toMatchObject({ 'rule.put': 2 });
    const del = await call('DELETE', `${nsg}/securityRules/never-existed${q}`, undefined, t);
    expect(del.status).toBe(409); // still busy: the first operation was never polled
  });

  it('refuses writes for a reader and everything for a principal without a role', async () => {
    const nsg = fake.addNsg();
    for (const [role, get, put] of [['reader', 200, 403], ['none', 403, 403]] as const) {
      const p = fake.addPrincipal({ role });
      const form = new URLSearchParams({ client_id: p.clientId, client_secret: p.clientSecret, grant_type: 'client_credentials' });
      const t = ((await call('POST', `/${p.tenantId}/oauth2/v2.0/token`, form.toString())).json as unknown as { access_token: string }).access_token;
      expect((await call('GET', `${nsg}${q}`, undefined, t)).status).toBe(get);
      const res = await call('PUT', `${nsg}/securityRules/x${q}`, rule(300, ['192.0.2.1/32']), t);
      expect(res).toMatchObject({ status: put, json: { error: { code: 'AuthorizationFailed' } } });
    }
  });
});
