import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { transaction } from '../../src/db/transaction.ts';
import { recordAudit, systemActor } from '../../src/engine/audit.ts';
import { startSession, startSessionInTx } from '../../src/engine/start-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

/*
 * Starts of people who share firewalls must not queue behind one another: a start's transaction
 * writes its own rows only (session, rules, audit, the jobs it asks for), never a row or lock
 * every other start on those firewalls also needs.
 */
describe('starts on shared resources', () => {
  it('a start does not wait for another, still open, start on the same resources', async () => {
    const org = await seedOrg(t.deps.db);
    const [alice, bob] = [await seedUser(t.deps.db, org.id), await seedUser(t.deps.db, org.id)];
    const resources = [await seedResource(t.deps.db, org.id), await seedResource(t.deps.db, org.id)];
    await seedRole(t.deps.db, org.id, { members: [alice.id, bob.id], resources: resources.map((r) => r.id) });

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let aliceWrote!: () => void;
    const wrote = new Promise<void>((r) => (aliceWrote = r));
    const aliceStart = transaction(t.deps.db, async (tx) => {
      const id = await startSessionInTx(tx, t.deps, { orgId: org.id, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.90', origin: 'api', actor: actorOf(alice) });
      aliceWrote();
      await gate; // Alice's transaction stays open, holding whatever it holds
      return id;
    });
    await wrote;
    const bobStart = startSession(t.deps, { orgId: org.id, userId: bob.id, durationMinutes: 60, ipv4: '203.0.113.91', origin: 'api', actor: actorOf(bob) });
    const outcome = await Promise.race([bobStart.then(() => 'started'), new Promise((r) => setTimeout(() => r('waited'), 3000))]);
    release();
    await aliceStart;
    await bobStart;
    expect(outcome).toBe('started');
  });

  it('a start does not wait for another transaction of its organization that is committing its audit events', async () => {
    const org = await seedOrg(t.deps.db);
    const carol = await seedUser(t.deps.db, org.id);
    const resource = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [carol.id], resources: [resource.id] });

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let audited!: () => void;
    const wrote = new Promise<void>((r) => (audited = r));
    const other = transaction(t.deps.db, async (tx) => {
      await recordAudit(tx, systemActor(org.id, 'test'), { action: 'TEST_EVENT' });
      // What its commit does to the audit trail, done now and held: whatever the chain needs, it holds.
      await tx.execute(sql`set constraints all immediate`);
      audited();
      await gate;
    });
    await wrote;
    const start = startSession(t.deps, { orgId: org.id, userId: carol.id, durationMinutes: 60, ipv4: '203.0.113.92', origin: 'api', actor: actorOf(carol) });
    const outcome = await Promise.race([start.then(() => 'started'), new Promise((r) => setTimeout(() => r('waited'), 3000))]);
    release();
    await other;
    await start;
    expect(outcome).toBe('started');
  });
});
