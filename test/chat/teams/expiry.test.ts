import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let aliceId: string;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db);
  await bindTenant(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, org.id);
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
  aliceId = alice.id;
});
afterAll(async () => h?.close());

const session = async () => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)))[0]!;
const chat = () => h.connector.in(personalConversation(ALICE)).map((m) => h.connector.latest(m));
const texts = () => chat().map((a) => textOf(a));

describe('the 10-minute warning and the end', () => {
  it('warns once per expiry with an Extend button that works; then says the session ended', async () => {
    expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'start 1h'))).status).toBe(200);
    await h.confirmClaim(claimUrlOf(chat()[0]));
    await h.runJobs();
    const s = await session();
    h.clock.set(new Date(s.expiresAt!.getTime() - 10 * MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    const warnings = () => h.connector.in(personalConversation(ALICE)).filter((m) => textOf(m.versions[0]).includes('in about 10 minutes'));
    expect(warnings()).toHaveLength(1);
    const warning = warnings()[0]!;
    const action = (cardIn(h.connector.latest(warning))?.actions as { verb: string; data: Record<string, unknown> }[])[0]!;
    expect(action.verb).toBe(VERB.sessionExtend);
    expect(action.data).toMatchObject({ minutes: 60, card: 'warning' });
    const res = await h.post(executeClick(h.connector.serviceUrl, ALICE, personalConversation(ALICE), warning.id, action.verb, action.data));
    expect(res.status).toBe(200);
    // Teams puts the answer in place of the clicked message: it stays the warning, now saying
    // the session was extended, with no button left — never a copy of the session card.
    const answer = (await res.json()) as { type: string; value: Record<string, unknown> };
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(answer.value)).toContain('was extended: it now ends {{DATE(');
    expect(JSON.stringify(answer.value)).not.toContain('FactSet'); // the session card's facts
    expect(answer.value.actions).toBeUndefined();
    await h.runJobs();
    const extended = await session();
    expect(extended.expiresAt!.getTime() - s.expiresAt!.getTime()).toBe(60 * MINUTE_MS);
    // …and the worker keeps the posted warning the same for everyone.
    expect(JSON.stringify(cardIn(h.connector.latest(warning)))).toEqual(JSON.stringify(answer.value));

    h.clock.set(new Date(extended.expiresAt!.getTime() - 10 * MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    expect(warnings()).toHaveLength(2);

    h.clock.set(new Date(extended.expiresAt!.getTime() + MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    expect((await session()).state).toBe('EXPIRED');
    expect(texts().filter((t) => t.includes('its time ran out'))).toHaveLength(1);
    expect(texts().filter((t) => t.includes(`session ${s.id.slice(0, 8)} ended`))).toHaveLength(1);
    // Both warnings now say the session ended; neither keeps a button.
    for (const w of warnings().length ? warnings() : []) expect(cardIn(h.connector.latest(w))?.actions).toBeUndefined();
    const all = h.connector.in(personalConversation(ALICE)).map((m) => cardIn(h.connector.latest(m)));
    expect(all.filter((c) => c?.actions)).toEqual([]);
    const card = h.connector.in(personalConversation(ALICE)).find((m) => isSessionCard(m.versions[0]))!;
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Expired');
    expect(texts().filter((t) => t.includes('Access is open'))).toHaveLength(1);
  });
});
