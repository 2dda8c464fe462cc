import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { decideApproval } from '../../../src/engine/decide-approval.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let alice: Awaited<ReturnType<typeof seedUser>>;
let carol: Awaited<ReturnType<typeof seedUser>>;
const PAYLOAD = '<!channel> <https://evil.example|Re-verify here>';

/** Issue 10, point 11: what people type never reaches Slack as markup. */
beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  carol = await seedUser(db, org.id, { email: 'carol@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id], approvers: [carol.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.addUser('UCAROL', 'carol@example.com');
  h.fake.joinChannel('C222');
});
afterAll(async () => h?.close());

const raw = (s: unknown) => /<!channel>|<https:\/\/evil|<@U0EVIL>/i.test(JSON.stringify(s));

describe('hostile text in Slack', () => {
  it("an approver's deny reason reaches the requester's thread escaped", async () => {
    h.clock.advance(MINUTE_MS);
    const r = await h.command('start 2h', 'UALICE');
    expect(await h.confirmClaim(claimUrlOf(r.replies[0]))).toBe(200);
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, alice.id)).orderBy(desc(sessions.createdAt)).limit(1);
    await decideApproval(h.deps, { sessionId: s!.id, decision: 'deny', reason: PAYLOAD, actor: actorOf(carol) });
    await h.runJobs();
    const card = h.fake.roots('C222').at(-1)!;
    const thread = h.fake.thread('C222', card.ts);
    expect(thread.map((m) => String(m.text))).toContainEqual(expect.stringContaining('&lt;!channel&gt; &lt;https://evil.example|Re-verify here&gt;'));
    expect(raw(thread)).toBe(false);
  });

  it('`stop <@U…>` and `approvals here <input>` do not echo markup', async () => {
    const stop = await h.command('stop <@U0EVIL>', 'UALICE');
    expect(String(stop.replies[0]!.text).toUpperCase()).toContain('&LT;@U0EVIL&GT;');
    const here = await h.command('approvals here <!channel>', 'UCAROL');
    expect(String(here.replies[0]!.text)).toContain('&lt;!channel&gt;');
    expect(raw([stop.replies, here.replies])).toBe(false);
  });

  it('30,000 characters typed make a short reply', async () => {
    const r = await h.command(`x${'<!channel>'.repeat(3000)}`, 'UALICE');
    expect(String(r.replies[0]!.text).length).toBeLessThan(1000);
    expect(raw(r.replies)).toBe(false);
  });
});
