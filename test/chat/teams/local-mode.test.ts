import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parse } from 'yaml';
import { PROVIDER_KINDS } from '../../../src/cloud/registry.ts';
import { parseOrgFile } from '../../../src/config/org-file.ts';
import { applyOrgConfig } from '../../../src/engine/apply-org-config.ts';
import { systemActor } from '../../../src/engine/audit.ts';
import { createTeamsIntegration } from '../../../src/chat/teams/integration.ts';
import { createTeamsTransport } from '../../../src/chat/teams/transport/adapter.ts';
import type { SyncDeps } from '../../../src/engine/deps.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { claims } from '../../../src/db/schema/index.ts';
import { APP_ID, BOT, personalMessage, TENANT } from '../../fakes/teams/activities.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, createTeamsHarness, type TeamsHarness } from './harness.ts';

const handlers = { engine: {} as SyncDeps, logger: createLogger({ level: 'silent' }), publicUrl: 'https://eg.example.test', claimTtlSeconds: 300 };

describe('Teams configuration', () => {
  it('says at start, as a warning, what local mode lets in and sends out', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    createTeamsIntegration({ ...handlers, logger }, { nodeEnv: 'development' });
    const warning = lines.find((l) => l.level === 40);
    expect(String(warning?.msg)).toMatch(/local mode.*without a Bot Framework token.*this machine only.*as any Teams user/i);
    lines.length = 0;
    createTeamsIntegration({ ...handlers, logger }, { appId: APP_ID, appPassword: 'secret', nodeEnv: 'production' });
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

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
  const admin = { id: '29:admin', name: 'Admin', aadObjectId: 'aad-admin-0001' };
  beforeAll(async () => {
    h = await createTeamsHarness({ local: true });
    const org = await seedOrg(h.deps.db);
    await bindTenant(h, org.id);
    await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
    const boss = await seedUser(h.deps.db, org.id, { email: 'admin@example.com', admin: true });
    const r = await seedResource(h.deps.db, org.id);
    await seedRole(h.deps.db, org.id, { members: [boss.id], resources: [r.id] });
    h.connector.addMember(alice.id, { aadObjectId: alice.aadObjectId, email: 'alice@example.com' });
    h.connector.addMember(admin.id, { aadObjectId: admin.aadObjectId, email: 'admin@example.com' });
  });
  afterAll(async () => h?.close());

  const nothingHappened = async (callsBefore: number) => {
    expect(h.connector.calls).toHaveLength(callsBefore);
    expect(await h.deps.db.select().from(claims)).toHaveLength(0);
  };
  const inject = (activity: Record<string, unknown>, remoteAddress: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/api/messages', payload: activity, remoteAddress, headers: { 'content-type': 'application/json', ...headers } });

  it("refuses activities from anywhere but this machine, judged by the socket: an admin's identity claimed from elsewhere gets nothing", async () => {
    const before = h.connector.calls.length;
    for (const text of ['sessions', 'start 1h', 'help']) {
      const fromAfar = await inject(personalMessage(h.connector.serviceUrl, admin, text), '203.0.113.9', { authorization: 'Bearer abc.def.ghi' });
      expect(fromAfar.statusCode).toBe(403);
      // A forwarded header naming this machine proves nothing.
      expect((await inject(personalMessage(h.connector.serviceUrl, admin, text), '203.0.113.9', { 'x-forwarded-for': '127.0.0.1' })).statusCode).toBe(403);
    }
    await nothingHappened(before);
  });

  it('refuses a request that came through a proxy even when the proxy is on this machine', async () => {
    const before = h.connector.calls.length;
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect((await inject(personalMessage(h.connector.serviceUrl, admin, 'start 1h'), '127.0.0.1', { [header]: '203.0.113.9' })).statusCode, header).toBe(403);
    }
    await nothingHappened(before);
  });

  it('refuses an activity whose service URL is not on this machine: nothing is sent there', async () => {
    const before = h.connector.calls.length;
    for (const serviceUrl of ['https://attacker.example.test/', 'http://192.0.2.1:3978/', 'http://localhost.attacker.example/']) {
      expect((await inject(personalMessage(serviceUrl, admin, 'start 1h'), '127.0.0.1')).statusCode, serviceUrl).toBe(403);
    }
    await nothingHappened(before);
  });

  it('never posts proactively to a service URL off this machine', async () => {
    const transport = createTeamsTransport({});
    const far = { serviceUrl: 'https://smba.trafficmanager.net/teams/', tenantId: TENANT };
    await expect(transport.openPersonal({ ...far, userId: '29:someone' })).rejects.toMatchObject({ statusCode: 403 });
    await expect(transport.postToChannel({ ...far, channelId: '19:c@thread.tacv2' }, { text: 'hi' })).rejects.toMatchObject({ statusCode: 403 });
    const ref = { serviceUrl: far.serviceUrl, channelId: 'msteams', conversation: { id: 'a:1' }, bot: { id: '28:x' }, user: { id: '29:y' } };
    await expect(transport.inConversation(ref as never, async (c) => void (await c.send({ text: 'hi' })))).rejects.toMatchObject({ statusCode: 403 });
  });

  it('accepts unsigned activities and calls the connector without a token', async () => {
    const res = await h.post(personalMessage(h.connector.serviceUrl, alice, 'status'), null);
    expect(res.status).toBe(200);
    const reply = h.connector.calls.find((c) => c.method === 'POST' && c.path.includes('/activities'));
    expect(JSON.stringify(reply?.body)).toContain('You have no running session');
    expect(reply?.auth).toBeUndefined();
  });
});

/*
 * `TEAMS_LOCAL=true npm start` + the Agents Playground with manifests/teams/playground.yml must
 * work on a fresh checkout: the demo organization binds the Playground's tenant and people.
 */
describe('the shipped Playground config and the demo organization', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  let h: TeamsHarness;
  type PlaygroundUser = { id: string; name: string; aadObjectId: string; email: string };
  let playground: { tenantId: string; bot: { id: string }; currentUser: PlaygroundUser; users: PlaygroundUser[] };
  beforeAll(async () => {
    playground = parse(await readFile(path.join(root, 'manifests/teams/playground.yml'), 'utf8')) as typeof playground;
    h = await createTeamsHarness({ local: true });
    const demo = parseOrgFile(await readFile(path.join(root, 'src/config/examples/demo.yaml'), 'utf8'), { knownKinds: PROVIDER_KINDS });
    await applyOrgConfig(h.deps, demo, { dryRun: false, actor: systemActor(null, 'test'), knownKinds: PROVIDER_KINDS });
  });
  afterAll(async () => h?.close());

  /** A message as the Playground sends it: its tenant, the person's Teams id and AAD object id. */
  const fromPlayground = (who: PlaygroundUser, text: string) => {
    const m = personalMessage(h.connector.serviceUrl, { id: who.id, name: who.name, aadObjectId: who.aadObjectId }, text);
    m.conversation.tenantId = playground.tenantId;
    m.channelData.tenant = { id: playground.tenantId };
    return { ...m, recipient: { ...BOT, id: playground.bot.id } };
  };
  const replyTo = async (who: PlaygroundUser, text: string) => {
    const before = h.connector.calls.length;
    expect((await h.post(fromPlayground(who, text), null)).status).toBe(200);
    return JSON.stringify(h.connector.calls.slice(before).find((c) => c.method === 'POST')?.body ?? {});
  };

  it('has at least the five users the Playground insists on, with GUID tenant and object ids', () => {
    expect(playground.users.length).toBeGreaterThanOrEqual(5);
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const id of [playground.tenantId, playground.currentUser.aadObjectId, ...playground.users.map((u) => u.aadObjectId)]) expect(id).toMatch(guid);
  });

  it('knows the Playground user as the demo admin and the second as the demo developer, by object id alone', async () => {
    expect(await replyTo(playground.currentUser, 'help')).toContain('approvals here');
    const dev = playground.users[0]!;
    const devHelp = await replyTo(dev, 'help');
    expect(devHelp).toContain('start');
    expect(devHelp).not.toContain('approvals here');
    expect(await replyTo(playground.users[1]!, 'status')).toContain('EntryGuard does not know you yet');
  });
});
