import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, extendOf, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let aliceId: string;

beforeAll(async () => {
  h = await createSlackHarness();
  const org = await seedOrg(h.deps.db, { settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, org.id);
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.joinChannel('C222');
  aliceId = alice.id;
});
afterAll(async () => h?.close());

const session = async () => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)))[0]!;

describe('the 10-minute warning and the end', () => {
  it('warns once per expiry with an Extend button, which works from the thread; then says the session ended', async () => {
    const r = await h.command('start 1h', 'UALICE');
    await h.confirmClaim(claimUrlOf(r.replies[0]));
    await h.runJobs();
    const card = h.fake.roots('C222')[0]!;
    const s = await session();
    h.clock.set(new Date(s.expiresAt!.getTime() - 10 * MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    let thread = h.fake.thread('C222', card.ts);
    expect(thread.map((m) => m.text)).toEqual([expect.stringContaining('access is open'), expect.stringContaining('ends')]);
    const warning = thread[1]!;
    const extend = extendOf(warning.blocks)!;
    expect(extend).toBeDefined();
    const ext = await h.click({ ...extend, user: 'UALICE', channel: 'C222', messageTs: warning.ts });
    expect(String(ext.replies[0]!.text)).toContain('Extended');
    await h.runJobs();
    const extended = await session();
    expect(extended.expiresAt!.getTime() - s.expiresAt!.getTime()).toBe(60 * MINUTE_MS);
    // The warning no longer offers Extend for an expiry that has passed: it says what happened.
    expect(warning.text).toContain('was extended');
    expect(extendOf(warning.blocks)).toBeUndefined();

    h.clock.set(new Date(extended.expiresAt!.getTime() - 10 * MINUTE_MS));
    await h.runJobs();
    thread = h.fake.thread('C222', card.ts);
    expect(thread.filter((m) => m.text.includes('in about 10 minutes'))).toHaveLength(1);
    expect(thread.filter((m) => m.text.includes('was extended'))).toHaveLength(1);

    h.clock.set(new Date(extended.expiresAt!.getTime() + MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    expect((await session()).state).toBe('EXPIRED');
    expect(card.text).toContain('Expired');
    expect(h.fake.thread('C222', card.ts).at(-1)!.text).toContain('its time ran out');
    expect(h.fake.thread('C222', card.ts)).toHaveLength(4);
    // Every warning now says the session ended, and offers nothing to press.
    for (const w of h.fake.thread('C222', card.ts).filter((m) => m.text.includes('has ended'))) expect(extendOf(w.blocks)).toBeUndefined();
    expect(h.fake.thread('C222', card.ts).filter((m) => m.text.includes('has ended'))).toHaveLength(2);
  });
});
