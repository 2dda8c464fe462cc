import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { transaction } from '../../src/db/transaction.ts';
import { auditEventHash, sealAuditEvents, verifyAuditChain } from '../../src/engine/audit-chain.ts';
import { recordAudit, type Actor } from '../../src/engine/audit.ts';
import { auditVerifyCommand } from '../../src/main/commands/audit-command.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedOrg } from '../helpers/seed.ts';

/*
 * Issue 10 point 5: the audit trail is tamper-evident. Each event is linked by a hash to the
 * previous event of its organization; `entryguard audit verify` finds the first broken link when
 * someone holding the schema owner's role changes, removes or inserts events.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const actor = (orgId: string): Actor => ({ type: 'user', orgId, userId: randomUUID(), label: 'alice@example.com', ip: '203.0.113.5' });

/** `n` events for an organization, one transaction each; returns its id and the event ids in chain order. */
async function chainOf(n: number, orgId: string = randomUUID()): Promise<{ orgId: string; ids: string[] }> {
  for (let i = 0; i < n; i++) {
    await recordAudit(db.db, actor(orgId), { action: 'SESSION_START', targetType: 'session', targetId: randomUUID(), details: { i, note: 'zürich → 東京 "quoted"' } });
  }
  await sealAuditEvents(db.db);
  return { orgId, ids: await linkedIds(orgId) };
}

const linkedIds = async (orgId: string) =>
  (await db.db.execute<{ id: string }>(sql`select event_id::text as id from audit_chain where chain_id = ${orgId}::uuid order by seq`)).map((r) => r.id);

const linkOf = async (eventId: string) =>
  (await db.db.execute<{ seq: string; hash: string; prevHash: string | null }>(sql`select seq::text as seq, hash, prev_hash as "prevHash" from audit_chain where event_id = ${eventId}`))[0]!;

/** As the schema owner with every trigger off: what an attacker holding the owner's role can do. */
const tamper = (statements: string) =>
  db.asOwner(async (owner) => {
    await owner.begin(async (tx) => {
      await tx.unsafe('alter table audit_events disable trigger all; alter table audit_chain disable trigger user');
      await tx.unsafe(statements);
      await tx.unsafe('alter table audit_events enable trigger all; alter table audit_chain enable trigger user');
    });
  });

const brokenAt = async (orgId: string) => (await verifyAuditChain(db.db, orgId)).broken;

describe('the audit chain', () => {
  it('links every event to the one before it in its organization, and verifies', async () => {
    const a = await chainOf(5);
    const b = await chainOf(3);
    const seqs = await db.db.execute<{ seq: string }>(sql`select l.seq::text as seq from audit_events e join audit_chain l on l.event_id = e.id where e.org_id = ${a.orgId}::uuid order by e.id`);
    expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(await verifyAuditChain(db.db, a.orgId)).toEqual({ chainId: a.orgId, events: 5, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await verifyAuditChain(db.db, b.orgId)).toEqual({ chainId: b.orgId, events: 3, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('is written by the database alone: the application role may not write links or heads', async () => {
    const { orgId, ids } = await chainOf(1);
    await expect(db.client`insert into audit_chain (event_id, chain_id, seq, hash) values (${ids[0]!}, ${orgId}, 2, 'x')`).rejects.toThrow(/permission denied/);
    await expect(db.client`update audit_chain_heads set seq = 0`).rejects.toThrow(/permission denied/);
  });

  it('does not fork when 50 transactions on 10 connections append to one organization while three sealers run', async () => {
    const orgId = randomUUID();
    const burst = (k: number) =>
      Promise.all(Array.from({ length: 25 }, (_, i) => transaction(db.db, (tx) => recordAudit(tx, actor(orgId), { action: 'BURST', details: { k, i } }))));
    let writing = true;
    const sealer = async () => {
      while (writing) await sealAuditEvents(db.db);
    };
    const sealers = Promise.all([sealer(), sealer(), sealer()]);
    await Promise.all([burst(1), burst(2)]);
    writing = false;
    await sealers;
    await sealAuditEvents(db.db);
    const seqs = await db.db.execute<{ seq: string }>(sql`select seq::text as seq from audit_chain where chain_id = ${orgId}::uuid order by audit_chain.seq`);
    expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Read in pages of 7 as well: the pages join without losing or repeating an event.
    for (const batch of [1000, 7]) {
      const report = await verifyAuditChain(db.db, orgId, { batch });
      expect(report.broken).toBeUndefined();
      expect(report).toMatchObject({ events: 50 });
    }
  });

  it('an event is sealed within seconds by the workers; one left unsealed for minutes is reported', async () => {
    const orgId = randomUUID();
    await recordAudit(db.db, actor(orgId), { action: 'JUST_NOW' });
    expect(await brokenAt(orgId)).toBeUndefined(); // waiting to be sealed is not broken
    await db.client`insert into audit_events (org_id, at, actor_type, action, result) values (${orgId}, now() - interval '10 minutes', 'system', 'LONG_AGO', 'SUCCESS')`;
    expect((await brokenAt(orgId))?.problem).toMatch(/was never sealed into the chain/);
    await sealAuditEvents(db.db);
    expect(await brokenAt(orgId)).toBeUndefined();
  });

  it('verifies on one snapshot: events committing during a verification are no false alarm', async () => {
    const orgId = randomUUID();
    await chainOf(20, orgId);
    let writing = true;
    const writer = (async () => {
      while (writing) await recordAudit(db.db, actor(orgId), { action: 'WHILE_VERIFYING' });
    })();
    for (let i = 0; i < 10; i++) expect((await verifyAuditChain(db.db, orgId, { batch: 3 })).broken).toBeUndefined();
    writing = false;
    await writer;
  });

  it('reports a detail changed by the owner, at that event', async () => {
    const { orgId, ids } = await chainOf(5);
    await tamper(`update audit_events set details = '{"i": 2, "note": "nothing happened"}' where id = ${ids[2]}`);
    expect(await brokenAt(orgId)).toEqual({ eventId: ids[2], seq: 3, problem: expect.stringMatching(/changed after it was written/) });
  });

  it('reports a deleted event, whether or not its link was deleted too', async () => {
    const a = await chainOf(5);
    await tamper(`delete from audit_events where id = ${a.ids[1]}`);
    expect(await brokenAt(a.orgId)).toEqual({ eventId: a.ids[1], seq: 2, problem: expect.stringMatching(/was removed: its link remains/) });
    const b = await chainOf(5);
    await tamper(`delete from audit_events where id = ${b.ids[1]}; delete from audit_chain where event_id = ${b.ids[1]}`);
    expect(await brokenAt(b.orgId)).toEqual({ eventId: b.ids[2], seq: 3, problem: expect.stringMatching(/seq 2 is missing before it \(removed\)/) });
  });

  it('reports an event inserted in the middle: without a link, or in place of a real one with a correct hash', async () => {
    const a = await chainOf(5);
    await tamper(`insert into audit_events (id, org_id, at, actor_type, actor_label, action, result)
                  values (${Number(a.ids[2]) * 1000 + 1}, '${a.orgId}', now() - interval '1 hour', 'user', 'mallory@example.com', 'SESSION_STOP', 'SUCCESS')`);
    expect(await brokenAt(a.orgId)).toEqual({ eventId: String(Number(a.ids[2]) * 1000 + 1), seq: null, problem: expect.stringMatching(/is not in the chain/) });

    // A forger who knows the encoding rewrites seq 3's link to point at a forged event with a correct hash.
    const b = await chainOf(5);
    const second = await linkOf(b.ids[1]!);
    const forgedId = String(Number(b.ids[4]) * 1000 + 2);
    const forged = {
      seq: '3', id: forgedId, orgId: b.orgId, at: '2026-01-01T00:00:00.000000Z', actorType: 'user', actorId: null, actorLabel: 'mallory@example.com',
      action: 'SESSION_STOP', targetType: null, targetId: null, result: 'SUCCESS', ip: null, details: '{}', prevHash: second.hash,
    };
    await tamper(`insert into audit_events (id, org_id, at, actor_type, actor_label, action, result, details)
                    values (${forgedId}, '${b.orgId}', '2026-01-01T00:00:00Z', 'user', 'mallory@example.com', 'SESSION_STOP', 'SUCCESS', '{}');
                  delete from audit_events where id = ${b.ids[2]};
                  update audit_chain set event_id = ${forgedId}, hash = '${auditEventHash(forged)}' where event_id = ${b.ids[2]}`);
    expect(await brokenAt(b.orgId)).toEqual({ eventId: b.ids[3], seq: 4, problem: expect.stringMatching(new RegExp(`does not link to event ${forgedId}`)) });
  });

  it('reports events removed from the end of a chain (the recorded head is ahead)', async () => {
    const { orgId, ids } = await chainOf(4);
    await tamper(`delete from audit_events where id in (${ids[2]}, ${ids[3]}); delete from audit_chain where event_id in (${ids[2]}, ${ids[3]})`);
    expect(await brokenAt(orgId)).toMatchObject({ eventId: ids[3], problem: expect.stringMatching(/ends at seq 2 but EntryGuard last wrote seq 4/) });
  });
});

describe('entryguard audit verify', () => {
  it('prints ok per chain, or the first broken link, and exits non-zero when one is broken', async () => {
    const org = await seedOrg(db.db);
    const { ids } = await chainOf(3, org.id);
    const lines: string[] = [];
    expect(await auditVerifyCommand(db.db, { org: org.slug }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^${org.slug}: ok, 3 events, head [0-9a-f]{64}$`))]);

    await tamper(`update audit_events set actor_label = 'someone-else@example.com' where id = ${ids[0]}`);
    lines.length = 0;
    expect(await auditVerifyCommand(db.db, {}, (l) => lines.push(l))).toBe(1);
    expect(lines).toContain(`${org.slug}: BROKEN at event ${ids[0]} (seq 1): event ${ids[0]} was changed after it was written: its content no longer matches its hash`);
    expect(lines.at(-1)).toMatch(/^\d+ of \d+ audit chain\(s\) broken$/);
    expect(await auditVerifyCommand(db.db, { org: 'no-such-org' }, () => {})).toBe(2);
  });
});
