import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let aliceId: string;

beforeAll(async () => {
  h = await createSlackHarness();
  const org = await seedOrg(h.deps.db, { settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, org.id, { name: 'prod-db' });
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.joinChannel('C222');
  aliceId = alice.id;
});
afterAll(async () => h?.close());

const notifyJobs = async () => (await h.jobsOf('notify_session')).length;

describe('Slack failing while the card is updated', () => {
  it('a 429 puts the update off for exactly Retry-After, a 5xx fails the job; the retry still delivers the update, once', async () => {
    const r = await h.command('start 2h', 'UALICE');
    await h.confirmClaim(claimUrlOf(r.replies[0]));
    await h.runJobs();
    await h.runJobs(); // a notification queued behind a running one for the same session
    expect(await notifyJobs()).toBe(0);
    const card = h.fake.roots('C222')[0]!;
    expect(card.text).toContain('Active');
    const before = JSON.stringify(card.blocks);

    h.fake.failNext('chat.update', { status: 429, retryAfter: 7 });
    h.fake.failNext('chat.update', { status: 503 });
    expect(String((await h.command('extend 1h', 'UALICE')).replies[0]!.text)).toContain('now ends');
    await h.runJobs();
    const updates = () => h.fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status);
    expect(updates().slice(-1)).toEqual([429]);
    expect(JSON.stringify(card.blocks)).toBe(before);
    // Not a failure: the same notification, queued again for when Slack said.
    expect(await h.jobsOf('notify_session')).toEqual([{ attempts: 0, lastError: null }]);
    const [deferred] = await h.deps.db.execute<{ wait_s: number; payload: { deferrals: number } }>(
      sql`select extract(epoch from j.run_at - now())::float as wait_s, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'notify_session'`,
    );
    expect(deferred!.payload.deferrals).toBe(1);
    expect(deferred!.wait_s).toBeGreaterThan(5);
    expect(deferred!.wait_s).toBeLessThanOrEqual(7);

    await h.deps.db.execute(sql`update graphile_worker._private_jobs set run_at = now() where run_at > now() and run_at < now() + interval '1 minute'`);
    await h.runJobs();
    expect(updates().slice(-2)).toEqual([429, 503]);
    expect(JSON.stringify(card.blocks)).toBe(before);
    expect(await h.jobsOf('notify_session')).toEqual([{ attempts: 1, lastError: expect.stringContaining('chat notification failed') }]);

    await h.runJobs();
    expect(updates().slice(-1)).toEqual([200]);
    expect(JSON.stringify(card.blocks)).not.toBe(before);
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId));
    expect(JSON.stringify(card.blocks)).toContain(s!.expiresAt!.toISOString().replace(/\.\d+Z$/, 'Z'));
    expect(await notifyJobs()).toBe(0);
    expect(h.fake.thread('C222', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('access is open')]);
    expect(h.fake.roots('C222')).toHaveLength(1);
  });

  it('a thread reply that fails is posted by the retry, and replies already posted are not repeated', async () => {
    const card = h.fake.roots('C222')[0]!;
    h.fake.failNext('chat.postMessage', { status: 500 });
    await h.command('stop', 'UALICE');
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId));
    expect(s!.state).toBe('CANCELLED');
    expect(card.text).toContain('Cancelled');
    expect(h.fake.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toContain(500);
    await h.runJobs();
    await h.runJobs();
    expect(h.fake.thread('C222', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('access is open'), expect.stringContaining('ended: ')]);
    expect(await notifyJobs()).toBe(0);
  });

  it('an ok:false answer is also retried, not dropped', async () => {
    const r = await h.command('start 1h', 'UALICE');
    await h.confirmClaim(claimUrlOf(r.replies[0]), '203.0.113.9');
    await h.runJobs();
    await h.runJobs();
    const card = h.fake.roots('C222').at(-1)!;
    expect(card.text).toContain('Active');
    h.fake.failNext('chat.update', { error: 'internal_error' });
    await h.command('stop', 'UALICE');
    await h.runJobs();
    // The failed notification stays queued for a retry (a later one may already show the end).
    expect((await h.jobsOf('notify_session')).map((j) => j.attempts)).toContain(1);
    await h.runJobs();
    await h.runJobs();
    expect(card.text).toContain('Cancelled');
    expect(await notifyJobs()).toBe(0);
  });
});
