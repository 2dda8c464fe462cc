import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { decideApproval } from '../../../src/engine/decide-approval.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf } from './harness.ts';

let h: TeamsHarness;
let alice: Awaited<ReturnType<typeof seedUser>>;
let carol: Awaited<ReturnType<typeof seedUser>>;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0201' };
const PAYLOAD = '`code` **bold** [Re-verify here](https://evil.example)';

/** Issue 10, point 11: what people type never reaches Teams as markup. */
beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindTenant(h, org.id);
  alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id], approvers: [carol.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
});
afterAll(async () => h?.close());

const texts = () => h.connector.in(personalConversation(ALICE)).map((m) => textOf(h.connector.latest(m)));
const say = async (text: string) => {
  const before = texts().length;
  expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, text))).status).toBe(200);
  return texts().slice(before);
};

describe('hostile text in Teams', () => {
  it('a message with backticks and a markdown link is echoed inside one code span, and a deny reason escaped', async () => {
    const [echo] = await say(`hello ${PAYLOAD}`);
    expect(echo!.split('\n')[0]!.match(/`/g)).toHaveLength(2);
    expect(echo).toContain('ˋcodeˋ');

    h.clock.advance(MINUTE_MS);
    const [link] = await say('start 2h');
    void link;
    const reply = h.connector.in(personalConversation(ALICE)).at(-1)!;
    expect(await h.confirmClaim(claimUrlOf(h.connector.latest(reply)))).toBe(200);
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, alice.id)).orderBy(desc(sessions.createdAt)).limit(1);
    await decideApproval(h.deps, { sessionId: s!.id, decision: 'deny', reason: PAYLOAD, actor: actorOf(carol) });
    await h.runJobs();
    const denied = texts().find((t) => t.includes('denied by'))!;
    expect(denied).toContain('\\[Re\\-verify here\\]\\(https://evil.example\\)'.replace('\\-', '-'));
    expect(denied).not.toContain('[Re-verify here](');
    expect(denied).not.toContain(' **bold**');
  });

  it('30,000 characters typed make a short reply', async () => {
    const [echo] = await say(`x${'[a](https://evil.example) '.repeat(1200)}`);
    expect(echo!.length).toBeLessThan(1000);
  });
});
