import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../../src/engine/start-session.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, createSlackHarness, type SlackHarness } from './harness.ts';

/** `/entryguard check`: a single-use link to the access check page, for the person's own session only. */
let h: SlackHarness;
let sessionId: string;

beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db);
  await bindWorkspace(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const root = await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id, root.id], resources: [r.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.addUser('UROOT', 'root@example.com');
  sessionId = await startSession(h.deps, { orgId: org.id, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.7', origin: 'api', actor: actorOf(alice) });
});
afterAll(async () => h?.close());

describe('/entryguard check', () => {
  it('sends the person a check link with a button, privately', async () => {
    const res = await h.command('check', 'UALICE');
    const reply = res.replies[0]!;
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toMatch(/check your access.*\/k\/[A-Za-z0-9_-]{20,}/);
    expect(JSON.stringify(reply.blocks)).toContain('Check my access');
    expect(String((await h.command(`check ${sessionId.slice(0, 8)}`, 'UALICE')).replies[0]!.text)).toContain('/k/');
  });

  it("never makes a link for someone else's session, an admin's request included", async () => {
    expect(String((await h.command(`check ${sessionId.slice(0, 8)}`, 'UROOT')).replies[0]!.text)).toContain('no running session');
    expect(String((await h.command('check', 'UROOT')).replies[0]!.text)).toContain('no running session to check');
    expect(String((await h.command('check a b', 'UALICE')).replies[0]!.text)).not.toContain('/k/');
  });
});
