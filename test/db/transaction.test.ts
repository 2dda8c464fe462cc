import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { transaction } from '../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { TEST_ROLES } from '../helpers/global-setup.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('transaction', () => {
  it('runs again after Postgres breaks a real deadlock, and commits once', async () => {
    // The application role may not create tables: the owner makes one and lets it update rows.
    await db.asOwner((o) => o.unsafe(`create table pair (id int primary key, v int); insert into pair values (1, 0), (2, 0); grant select, update on pair to ${TEST_ROLES.app.name}`));
    let attempts = 0;
    // Two transactions lock rows 1 and 2 in opposite orders: Postgres aborts one of them.
    const lockBoth = (first: number, second: number) =>
      transaction(db.db, async (tx) => {
        attempts += 1;
        await tx.execute(sql`update pair set v = v + 1 where id = ${first}`);
        await new Promise((r) => setTimeout(r, 200));
        await tx.execute(sql`update pair set v = v + 1 where id = ${second}`);
      });
    await Promise.all([lockBoth(1, 2), lockBoth(2, 1)]);
    expect(attempts).toBe(3);
    const rows = await db.db.execute<{ v: number }>(sql`select v from pair order by id`);
    expect(rows.map((r) => r.v)).toEqual([2, 2]);
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      transaction(db.db, async () => {
        attempts += 1;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(attempts).toBe(1);
  });
});
