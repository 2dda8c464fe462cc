import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../../src/chat/slack/ids.ts';
import { auditEvents, sessions } from '../../../src/db/schema/index.ts';
import { HOUR_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, extendOf, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let fx: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const bob = await seedUser(db, org.id, { email: 'bob@example.com' });
  const admin = await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  const r2 = await seedResource(db, org.id, { name: 'bastion' });
  await seedRole(db, org.id, { members: [alice.id, bob.id], resources: [r1.id, r2.id] });
  h.fake.addUser('UALICE', 'Alice@Example.com');
  h.fake.addUser('UBOB', 'bob@example.com');
  h.fake.addUser('UROOT', 'root@example.com');
  h.fake.addUser('USTRANGER', 'stranger@elsewhere.com');
  h.fake.joinChannel('C222');
  return { org, alice, bob, admin };
}

beforeAll(async () => {
  h = await createSlackHarness();
  fx = await seed();
});
afterAll(async () => h?.close());

const cardOf = (channel = 'C222') => {
  const roots = h.fake.roots(channel);
  return roots[roots.length - 1]!;
};

describe('start → claim → ACTIVE → Extend → Stop', () => {
  it('runs the whole flow, updating one card in place with threaded replies', async () => {
    const start = await h.command('start 2h', 'UALICE');
    expect(start.res.status).toBe(200);
    expect(await start.res.text()).toBe('');
    const reply = start.replies[0]!;
    expect(reply.response_type).toBe('ephemeral');
    const link = claimUrlOf(reply);
    expect(JSON.stringify(reply)).toContain(ACTION.claimOpen);

    expect(await h.confirmClaim(link)).toBe(200);
    await h.runJobs();
    const [session] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.alice.id));
    expect(session!.state).toBe('ACTIVE');
    const card = cardOf();
    expect(h.fake.roots('C222')).toHaveLength(1);
    expect(card.text).toContain('Active');
    const cardJson = JSON.stringify(card.blocks);
    expect(cardJson).toContain('203.0.113.7');
    expect(cardJson).toContain('prod-db');
    expect(cardJson).toContain('*prod-db* (memory): open');
    expect(cardJson).not.toMatch(/APPLIED|applied|manual/);
    expect(h.fake.thread('C222', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('access is open')]);

    const extend = extendOf(card.blocks, 120)!;
    const ext = await h.click({ ...extend, user: 'UALICE', channel: 'C222', messageTs: card.ts });
    expect(ext.res.status).toBe(200);
    expect(ext.replies[0]!.text).toContain('Extended by 2h');
    await h.runJobs();
    const [extended] = await h.deps.db.select().from(sessions).where(eq(sessions.id, session!.id));
    expect(extended!.expiresAt!.getTime() - session!.expiresAt!.getTime()).toBe(2 * HOUR_MS);
    expect(extendOf(cardOf().blocks, 120)!.value).not.toBe(extend.value);
    // The card's Duration is the whole length now, extensions included.
    expect(JSON.stringify(cardOf().blocks)).toContain('*Duration*\\n4h');

    const stop = await h.click({ actionId: ACTION.sessionStop, value: session!.id, user: 'UALICE', channel: 'C222', messageTs: card.ts });
    expect(stop.replies[0]!.text).toContain('Stopping');
    await h.runJobs();
    const [ended] = await h.deps.db.select().from(sessions).where(eq(sessions.id, session!.id));
    expect(ended!.state).toBe('CANCELLED');
    expect(cardOf().text).toContain('Cancelled');
    expect(cardOf().blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(h.fake.thread('C222', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('access is open'), expect.stringContaining('ended: ')]);
    expect(h.fake.roots('C222')).toHaveLength(1);
    expect([...h.firewall.state.values()].every((s) => s.size === 0)).toBe(true);
  });

  it('does not act twice on a double click or on a Slack retry of the same click', async () => {
    const start = await h.command('start', 'UBOB');
    await h.confirmClaim(claimUrlOf(start.replies[0]), '203.0.113.8');
    await h.runJobs();
    const card = cardOf();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.bob.id));
    const click = { ...extendOf(card.blocks)!, user: 'UBOB', channel: 'C222', messageTs: card.ts };
    const [a, b] = await Promise.all([h.click(click), h.click(click)]);
    expect([a.replies[0]!.text, b.replies[0]!.text].sort()).toEqual([expect.stringContaining('Already extended'), expect.stringContaining('Extended')]);
    const retried = await h.click({ ...click, actionTs: '1700000000.5', id: 'first' });
    const retry = await h.click({ ...click, actionTs: '1700000000.5', id: 'retry', retryNum: 1 });
    expect(retry.res.status).toBe(200);
    expect(retry.replies).toEqual([]);
    expect(retried.replies[0]!.text).toContain('Already extended');
    const [after] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(after!.expiresAt!.getTime() - s!.expiresAt!.getTime()).toBe(HOUR_MS);
  });

  it('refuses Extend and Stop to someone else, privately, with an audit event', async () => {
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.bob.id));
    const card = cardOf();
    const r = await h.click({ actionId: ACTION.sessionStop, value: s!.id, user: 'UALICE', channel: 'C222', messageTs: card.ts });
    expect(r.replies[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(r.replies[0]!.text).toContain('Only the person who started this session or an admin');
    const [still] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(still!.state).toBe('ACTIVE');
    const denied = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'SESSION_STOP'));
    expect(denied.some((e) => e.result === 'DENIED' && e.targetId === s!.id)).toBe(true);

    const admin = await h.click({ actionId: ACTION.sessionStop, value: s!.id, user: 'UROOT', channel: 'C222', messageTs: card.ts });
    expect(admin.replies[0]!.text).toContain('Stopping');
    await h.runJobs();
    const [stopped] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(stopped).toMatchObject({ state: 'CANCELLED', endedReason: 'ADMIN' });
  });
});
