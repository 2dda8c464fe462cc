import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareProviders } from '../../src/engine/prepare-providers.ts';
import { syncResource } from '../../src/engine/sync-resource.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { grantDirect, seedOrg, seedUser } from '../helpers/seed.ts';

/**
 * A starting worker gets its providers ready before it takes jobs, so the first sync after a
 * crash (the removals cut short) does not also pay the SDKs' cold start: signed in, API
 * descriptions loaded, connections open — one read per client, never a write.
 */
let lab: CloudLab;
let t: TestEngine;
beforeAll(async () => {
  lab = await startCloudLab();
  t = await createTestEngine({ providers: lab.registry });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await lab?.close();
});

const sum = (calls: Record<string, number>, names: string[]) => names.reduce((n, k) => n + (calls[k] ?? 0), 0);

describe('prepareProviders', () => {
  it('signs in and reads once per client of the active resources, and writes nothing', async () => {
    const org = await seedOrg(t.deps.db);
    // Two resources per cloud on one credential each: one client for AWS (one region) and GCP (one
    // project); two for Azure, whose emulator puts each NSG in a subscription of its own.
    const resources = await lab.seedResources(t.deps.db, org.id, { count: 2 });
    const before = { azure: { ...lab.azure.calls }, gcp: { ...lab.gcp.calls }, aws: { ...lab.ec2.calls } };

    await prepareProviders(t.deps);

    const delta = (now: Record<string, number>, then: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(now).map((k) => [k, (now[k] ?? 0) - (then[k] ?? 0)]).filter(([, n]) => n !== 0));
    const azure = delta(lab.azure.calls, before.azure);
    const gcp = delta(lab.gcp.calls, before.gcp);
    const aws = delta(lab.ec2.calls, before.aws);
    expect(azure['nsg.get'], JSON.stringify(azure)).toBe(2);
    expect(azure['aad.token'], JSON.stringify(azure)).toBe(2);
    expect(sum(azure, ['rule.put', 'rule.delete'])).toBe(0);
    expect(gcp['oauth.token'], JSON.stringify(gcp)).toBe(1);
    expect(Object.keys(gcp).filter((k) => /insert|patch|update|delete/i.test(k))).toEqual([]);
    expect(aws['DescribeSecurityGroupRules'], JSON.stringify(aws)).toBe(1);
    expect(Object.keys(aws).filter((k) => !k.startsWith('Describe'))).toEqual([]);

    // The first real sync then needs no sign-in of its own.
    const user = await seedUser(t.deps.db, org.id);
    for (const r of resources) await grantDirect(t.deps.db, user.id, r.id);
    const tokens = { azure: lab.azure.calls['aad.token'], gcp: lab.gcp.calls['oauth.token'] };
    for (const r of resources) await syncResource(t.deps, r.id);
    expect({ azure: lab.azure.calls['aad.token'], gcp: lab.gcp.calls['oauth.token'] }).toEqual(tokens);
  }, 60_000);

  it('does not hold the worker back longer than its bound when a cloud does not answer', async () => {
    const org = await seedOrg(t.deps.db);
    await lab.seedResources(t.deps.db, org.id, { kinds: ['azure-nsg'] });
    lab.azure.hang(100);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    const t0 = Date.now();
    await prepareProviders({ ...t.deps, logger }, 500);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(lines.join('')).toContain('providers not ready after 500 ms; taking jobs anyway');
    lab.clearFaults();
  }, 60_000);
});
