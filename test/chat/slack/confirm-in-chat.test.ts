import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../../src/chat/slack/ids.ts';
import { sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let alice: Awaited<ReturnType<typeof seedUser>>;
const THIEF_IP = '203.0.113.66';

/**
 * Issue 10, point 7: with `claim: { confirmInChat: true }`, a claim link confirmed in a browser
 * only captures the address; the requester opens it in chat with "Open for <address>".
 */
beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { claim: { confirmInChat: true }, chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.addUser('UROOT', 'root@example.com');
  h.fake.joinChannel('C222');
});
afterAll(async () => h?.close());

const card = () => h.fake.roots('C222').at(-1)!;
const buttons = (m: { blocks?: unknown }) =>
  (m.blocks as { elements?: { action_id?: string; value?: string; text?: { text?: string } }[] }[]).flatMap((b) => b.elements ?? []);
const latestSession = async () => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, alice.id)).orderBy(desc(sessions.createdAt)).limit(1))[0]!;

describe('claim: confirmInChat', () => {
  it('the claim page lists what will open and says the address must then be confirmed in chat', async () => {
    const r = await h.command('start 2h', 'UALICE');
    const page = await h.app.inject({ method: 'GET', url: new URL(claimUrlOf(r.replies[0])).pathname, remoteAddress: '203.0.113.7' });
    expect(page.body).toContain('prod-db');
    expect(page.body).toContain('tcp 22');
    expect(page.body).toMatch(/back to chat and press .*Open for 203\.0\.113\.7/);
  });

  it('a browser confirmation opens nothing; only the requester’s "Open for <address>" in chat does', async () => {
    h.clock.advance(MINUTE_MS);
    const r = await h.command('start 2h', 'UALICE');
    // Someone else holds the link and confirms it from their own network.
    expect(await h.confirmClaim(claimUrlOf(r.replies[0]), THIEF_IP)).toBe(200);
    await h.runJobs();
    const s = await latestSession();
    expect(s.state).toBe('AWAITING_CONFIRMATION');
    expect(h.firewall.cidrs((await h.deps.db.query.sessionRules.findFirst({ where: (t, { eq: e }) => e(t.sessionId, s.id) }))!.resourceId)).toEqual([]);
    const open = buttons(card()).find((b) => b.action_id === ACTION.sessionConfirm)!;
    expect(open.text?.text).toBe(`Open for ${THIEF_IP}`);
    expect(JSON.stringify(card().blocks)).toContain(THIEF_IP);

    // An admin cannot press it for her.
    const other = await h.click({ actionId: ACTION.sessionConfirm, value: open.value!, user: 'UROOT', channel: 'C222', messageTs: card().ts });
    expect(String(other.replies[0]!.text)).toMatch(/Only the person who asked/);
    expect((await latestSession()).state).toBe('AWAITING_CONFIRMATION');

    // Alice sees an address that is not hers: she stops it instead, and nothing was ever opened.
    const stop = buttons(card()).find((b) => b.action_id === ACTION.sessionStop)!;
    await h.click({ actionId: ACTION.sessionStop, value: stop.value!, user: 'UALICE', channel: 'C222', messageTs: card().ts });
    await h.runJobs();
    expect((await latestSession()).state).toBe('CANCELLED');
  });

  it('the requester presses Open: the session starts from the captured address', async () => {
    h.clock.advance(MINUTE_MS);
    const r = await h.command('start 2h', 'UALICE');
    expect(await h.confirmClaim(claimUrlOf(r.replies[0]), '203.0.113.7')).toBe(200);
    await h.runJobs();
    const open = buttons(card()).find((b) => b.action_id === ACTION.sessionConfirm)!;
    const ok = await h.click({ actionId: ACTION.sessionConfirm, value: open.value!, user: 'UALICE', channel: 'C222', messageTs: card().ts });
    expect(String(ok.replies[0]!.text)).toContain('Opening');
    await h.runJobs();
    const s = await latestSession();
    expect(s.state).toBe('ACTIVE');
    expect(s.ipv4).toBe('203.0.113.7');
    expect(buttons(card()).some((b) => b.action_id === ACTION.sessionConfirm)).toBe(false);
    await h.command('stop all', 'UALICE');
    await h.runJobs();
  });

  it('an unconfirmed address is dropped when the confirmation window passes', async () => {
    h.clock.advance(MINUTE_MS);
    const r = await h.command('start 2h', 'UALICE');
    await h.confirmClaim(claimUrlOf(r.replies[0]), THIEF_IP);
    await h.runJobs();
    h.clock.advance(11 * MINUTE_MS);
    await h.runJobs();
    expect(await latestSession()).toMatchObject({ state: 'CANCELLED', endedReason: 'NOT_CONFIRMED' });
  });
});
