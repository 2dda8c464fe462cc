import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamsIntegration } from '../../../src/chat/teams/integration.ts';
import { createTeamsTransport } from '../../../src/chat/teams/transport/adapter.ts';
import type { SyncDeps } from '../../../src/engine/deps.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { APP_ID, personalMessage } from '../../fakes/teams/activities.ts';
import { seedOrg, seedUser } from '../../helpers/seed.ts';
import { bindTenant, createTeamsHarness, type TeamsHarness } from './harness.ts';

const handlers = { engine: {} as SyncDeps, logger: createLogger({ level: 'silent' }), publicUrl: 'https://eg.example.test', claimTtlSeconds: 300 };

describe('Teams configuration', () => {
  it('refuses local mode (no TEAMS_APP_ID: unsigned activities) when NODE_ENV=production', () => {
    expect(() => createTeamsIntegration(handlers, { nodeEnv: 'production' })).toThrow(/refused when NODE_ENV=production/);
  });
  it('needs the app password with an app id', () => {
    expect(() => createTeamsIntegration(handlers, { appId: APP_ID, nodeEnv: 'production' })).toThrow(/TEAMS_APP_PASSWORD/);
  });
  it('builds single-tenant (with TEAMS_TENANT_ID) and multi-tenant (without) bots with JWT validation on', () => {
    expect(createTeamsTransport({ appId: APP_ID, appPassword: 'secret', tenantId: '72f988bf-0000-0000-0000-000000000001' }).authEnabled).toBe(true);
    expect(createTeamsTransport({ appId: APP_ID, appPassword: 'secret' }).authEnabled).toBe(true);
    expect(createTeamsIntegration(handlers, { appId: APP_ID, appPassword: 'secret', nodeEnv: 'production' }).authEnabled).toBe(true);
  });
});

describe('local mode (Agents Playground / Bot Framework Emulator)', () => {
  let h: TeamsHarness;
  const alice = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };
  beforeAll(async () => {
    h = await createTeamsHarness({ local: true });
    const org = await seedOrg(h.deps.db);
    await bindTenant(h, org.id);
    await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
    h.connector.addMember(alice.id, { aadObjectId: alice.aadObjectId, email: 'alice@example.com' });
  });
  afterAll(async () => h?.close());

  it('accepts unsigned activities and calls the connector without a token', async () => {
    const res = await h.post(personalMessage(h.connector.serviceUrl, alice, 'status'), null);
    expect(res.status).toBe(200);
    const reply = h.connector.calls.find((c) => c.method === 'POST' && c.path.includes('/activities'));
    expect(JSON.stringify(reply?.body)).toContain('You have no running session');
    expect(reply?.auth).toBeUndefined();
  });
});
