import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;

beforeAll(async () => {
  h = await createSlackHarness();
  const org = await seedOrg(h.deps.db, { settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const a = await seedResource(h.deps.db, org.id, { name: 'alpha' });
  const b = await seedResource(h.deps.db, org.id, { name: 'beta' });
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [a.id, b.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.joinChannel('C222');
});
afterAll(async () => h?.close());

async function startFrom(ip: string) {
  const r = await h.command('start 1h', 'UALICE');
  await h.confirmClaim(claimUrlOf(r.replies[0]), ip);
  await h.runJobs();
  const card = h.fake.roots('C222').at(-1)!;
  return { card, thread: h.fake.thread('C222', card.ts).map((m) => m.text) };
}

describe('PARTIAL and FAILED on the card and in its thread', () => {
  it('PARTIAL: the card shows each resource’s status and error; the thread says which failed and why', async () => {
    h.firewall.fail('add', { code: 'QUOTA', message: 'Rule quota reached', retryable: false }, { cidr: '203.0.113.20/32', times: 1 });
    const { card, thread } = await startFrom('203.0.113.20');
    expect(card.text).toContain('Partial');
    const blocks = JSON.stringify(card.blocks);
    // Which of the two resources meets the one failure depends on which sync runs first.
    expect(blocks).toMatch(/\*(alpha|beta)\* \(memory\): open/);
    expect(blocks).toContain('IPv4 failed – Rule quota reached');
    expect(thread).toEqual([expect.stringMatching(/only partly open[\s\S]*\(IPv4\): Rule quota reached/)]);
    await h.command('stop', 'UALICE');
    await h.runJobs();
  });

  it('FAILED: the card says so and the thread gives the reasons, once', async () => {
    h.firewall.fail('add', { code: 'DENIED', message: 'Not permitted', retryable: false }, { cidr: '203.0.113.21/32', times: 2 });
    const { card, thread } = await startFrom('203.0.113.21');
    expect(card.text).toContain('Failed');
    expect(card.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(thread).toEqual([expect.stringMatching(/could not be opened[\s\S]*alpha[\s\S]*Not permitted[\s\S]*beta[\s\S]*Not permitted/)]);
    await h.runJobs();
    expect(h.fake.thread('C222', card.ts)).toHaveLength(1);
  });
});
