import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { relayOutbox } from '../../src/jobs/job-relay.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/*
 * Many transactions at once asking to sync the same resources, several relays moving them into
 * graphile-worker at once, while a worker keeps taking and finishing those very jobs — the shape
 * of a thousand expiries in a minute. graphile-worker's add_jobs alone can deadlock here (it
 * writes keyed rows in an order of its own); with our per-key advisory locks no transaction may
 * ever be aborted for a deadlock.
 */
describe('adding the same keyed jobs from many transactions', () => {
  it('never deadlocks, even while the jobs are being worked on', async () => {
    const jobs = createJobQueue({ notifications: false });
    // transaction() runs a deadlocked transaction again, so count what Postgres detected instead.
    const deadlocks = async () =>
      Number((await db.db.execute<{ n: string }>(sql`select deadlocks as n from pg_stat_database where datname = current_database()`))[0]?.n ?? 0);
    const before = await deadlocks();
    const resources = [randomUUID(), randomUUID(), randomUUID()];
    const errors: string[] = [];
    let running = true;
    // A stand-in worker, like graphile-worker's: takes one free job (skip locked), runs it for a
    // moment, completes it (deletes the row).
    const worker = (async () => {
      while (running) {
        const [job] = await db.db.execute<{ id: string }>(sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test'
          where id = (select id from graphile_worker._private_jobs where locked_at is null order by id limit 1 for update skip locked) returning id`);
        await new Promise((r) => setTimeout(r, 2));
        if (job) await db.db.execute(sql`delete from graphile_worker._private_jobs where id = ${job.id}`);
      }
    })();
    const writer = async (n: number) => {
      for (let i = 0; i < 30; i++) {
        // Each asks for the resources in its own order; the queue must not care.
        const ids = n % 2 ? [...resources] : [...resources].reverse();
        await db.db
          .transaction(async (tx) => {
            await jobs.syncResources(tx, ids);
            await new Promise((r) => setTimeout(r, 1));
            await jobs.syncResources(tx, ids.slice(0, 2));
          })
          .catch((err: unknown) => errors.push(String((err as { cause?: { code?: string } }).cause?.code ?? err)));
      }
    };
    let writing = true;
    const relay = async () => {
      while (writing) {
        await relayOutbox(db.db).catch((err: unknown) => errors.push(String((err as { cause?: { code?: string } }).cause?.code ?? err)));
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    const relays = Promise.all(Array.from({ length: 4 }, () => relay()));
    await Promise.all(Array.from({ length: 8 }, (_, n) => writer(n)));
    writing = false;
    await relays;
    while ((await relayOutbox(db.db)) > 0);
    running = false;
    await worker;
    expect(errors).toEqual([]);
    // Statistics reach pg_stat_database a moment later.
    await new Promise((r) => setTimeout(r, 1500));
    await db.db.execute(sql`select pg_stat_clear_snapshot()`);
    expect(await deadlocks()).toBe(before);
  }, 60_000);
});
