import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/*
 * Issue 10 point 5: the audit trail's trigger only stops accidents while the application owns
 * the table (ALTER TABLE … DISABLE TRIGGER, then UPDATE/DELETE worked). The application runs as
 * a role that owns nothing and may only INSERT and SELECT audit events.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const outcome = (q: Promise<unknown>) =>
  q.then(
    () => 'allowed',
    (e: Error) => e.message,
  );

describe('the application role and the audit trail', () => {
  it('appends and reads audit events', async () => {
    await db.client`insert into audit_events (actor_type, action, result) values ('system', 'ROLE_PROBE', 'SUCCESS')`;
    const rows = await db.client`select action from audit_events where action = 'ROLE_PROBE'`;
    expect(rows).toHaveLength(1);
  });

  it('cannot disable the append-only trigger, change, delete, truncate or drop events', async () => {
    expect(await outcome(db.client`alter table audit_events disable trigger user`)).toMatch(/must be owner/);
    expect(await outcome(db.client`update audit_events set action = 'FORGED'`)).toMatch(/permission denied/);
    expect(await outcome(db.client`delete from audit_events`)).toMatch(/permission denied/);
    expect(await outcome(db.client`truncate audit_events`)).toMatch(/permission denied/);
    expect(await outcome(db.client`drop table audit_events`)).toMatch(/must be owner/);
  });

  it('owns nothing and cannot change the schema', async () => {
    const [owned] = await db.client<{ n: number }[]>`
      select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('public', 'drizzle', 'graphile_worker') and pg_has_role(current_user, c.relowner, 'USAGE')`;
    expect(owned!.n).toBe(0);
    expect(await outcome(db.client`create table sneaky (x int)`)).toMatch(/permission denied/);
    expect(await outcome(db.client`create or replace function graphile_worker.add_job() returns void language sql as ''`)).toMatch(/permission denied/);
  });

  it('still runs jobs: graphile-worker tables and functions are usable, its migrations table read-only', async () => {
    await db.client`select graphile_worker.add_job('role_probe', '{}'::json)`;
    const [job] = await db.client<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'role_probe'`;
    expect(job!.n).toBe(1);
    expect(await outcome(db.client`delete from graphile_worker.migrations`)).toMatch(/permission denied/);
  });
});

describe('the owner role', () => {
  it('still meets the append-only trigger (against accidents)', async () => {
    await db.asOwner(async (owner) => {
      expect(await outcome(owner`update audit_events set action = 'X'`)).toMatch(/append-only/);
      expect(await outcome(owner`delete from audit_events`)).toMatch(/append-only/);
    });
  });
});
