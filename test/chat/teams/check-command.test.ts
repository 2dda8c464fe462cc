import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../../src/engine/start-session.ts';
import { personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, createTeamsHarness, type TeamsHarness } from './harness.ts';

/** `check` in Teams: a single-use link to the access check page, for the person's own session only. */
let h: TeamsHarness;
let sessionId: string;
const user = (name: string): TeamsUser => ({ id: `29:${name}`, name, aadObjectId: `aad-${name}` });
const ALICE = user('alice');
const ROOT = user('root');

beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db);
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const root = await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id, root.id], resources: [r.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
  h.connector.addMember(ROOT.id, { aadObjectId: ROOT.aadObjectId, email: 'root@example.com' });
  sessionId = await startSession(h.deps, { orgId: org.id, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.7', origin: 'api', actor: actorOf(alice) });
});
afterAll(async () => h?.close());

async function say(from: TeamsUser, text: string): Promise<string> {
  const before = h.connector.messages.size;
  const res = await h.post(personalMessage(h.connector.serviceUrl, from, text));
  expect(res.status).toBe(200);
  const reply = [...h.connector.messages.values()].slice(before).map((m) => h.connector.latest(m))[0];
  return String(reply?.text ?? '');
}

describe('check (Teams)', () => {
  it('sends the person a check link', async () => {
    expect(await say(ALICE, 'check')).toMatch(/\[Check my access\]\(https?:\/\/[^)]+\/k\/[A-Za-z0-9_-]{20,}\)/);
  });

  it("never makes a link for someone else's session", async () => {
    expect(await say(ROOT, `check ${sessionId.slice(0, 8)}`)).toContain('no running session');
  });
});
