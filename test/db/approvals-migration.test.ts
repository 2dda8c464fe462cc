import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import postgres from 'postgres';
import { withDatabase } from '../helpers/global-setup.ts';

/** Runs one drizzle migration file the way the migrator does: statement by statement. */
async function apply(sql: postgres.Sql, file: string) {
  const text = readFileSync(new URL(`../../migrations/${file}.sql`, import.meta.url), 'utf8');
  for (const stmt of text.split('--> statement-breakpoint')) if (stmt.trim()) await sql.unsafe(stmt);
}

const MIGRATION = '0009_approvals_throttle_confirm';
const name = `eg_test_mig_${randomBytes(5).toString('hex')}`;
let admin: postgres.Sql;
let db: postgres.Sql;

beforeAll(async () => {
  admin = postgres(inject('pgAdminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  db = postgres(withDatabase(inject('pgAdminUrl'), name), { max: 1, onnotice: () => {} });
  // Every migration before this one, in the journal's order.
  const journal = JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: { tag: string }[] };
  const tags = journal.entries.map((e) => e.tag);
  for (const tag of tags.slice(0, tags.indexOf(MIGRATION))) await apply(db, tag);
});
afterAll(async () => {
  await db?.end({ timeout: 5 });
  await admin?.unsafe(`drop database if exists "${name}" with (force)`);
  await admin?.end({ timeout: 5 });
});

describe('migration 0009: approvals per role', () => {
  it('carries a request of several roles over as one row per role, keeping its status, decider and card', async () => {
    const [org] = await db`insert into organizations (slug, name, plan) values ('m', 'm', 'team') returning id`;
    const [carol] = await db`insert into users (org_id, email) values (${org!.id}, 'carol@x') returning id`;
    const [bob] = await db`insert into users (org_id, email) values (${org!.id}, 'bob@x') returning id`;
    const [a] = await db`insert into roles (org_id, name, requires_approval) values (${org!.id}, 'ops-a', true) returning id`;
    const [b] = await db`insert into roles (org_id, name, requires_approval) values (${org!.id}, 'ops-b', true) returning id`;
    const mk = async (state: string) =>
      (await db`insert into sessions (org_id, user_id, state, duration_minutes, max_total_minutes, origin) values (${org!.id}, ${carol!.id}, ${state}, 60, 240, 'api') returning id`)[0]!.id as string;
    const waiting = await mk('AWAITING_APPROVAL');
    const denied = await mk('DENIED');
    const deadline = new Date('2030-01-01T00:30:00Z');
    await db`insert into approvals (session_id, role_ids, status, expires_at) values (${waiting}, ${[a!.id, b!.id]}::uuid[], 'PENDING', ${deadline})`;
    await db`insert into approvals (session_id, role_ids, status, decider_user_id, reason, expires_at, decided_at) values (${denied}, ${[b!.id]}::uuid[], 'DENIED', ${bob!.id}, 'no', ${deadline}, now())`;
    await db`insert into chat_message_refs (session_id, platform, kind, channel, message_id) values (${waiting}, 'slack', 'approval_card', 'CAPPROVE', '1.2')`;

    await apply(db, MIGRATION);

    const rows = await db`select session_id, role_id, role_name, status, decider_user_id, reason, expires_at from approvals order by session_id, role_name`;
    const pick = (s: string) => rows.filter((r) => r.session_id === s).map((r) => [r.role_id, r.role_name, r.status, r.expires_at.toISOString()]);
    expect(pick(waiting)).toEqual([
      [a!.id, 'ops-a', 'PENDING', deadline.toISOString()],
      [b!.id, 'ops-b', 'PENDING', deadline.toISOString()],
    ]);
    expect(rows.filter((r) => r.session_id === denied).map((r) => [r.role_name, r.status, r.decider_user_id, r.reason])).toEqual([['ops-b', 'DENIED', bob!.id, 'no']]);
    const [ref] = await db`select a.role_name from chat_message_refs m join approvals a on a.id = m.approval_id`;
    expect(ref).toEqual({ role_name: 'ops-a' });
    // One row per session and role from now on.
    await expect(db`insert into approvals (session_id, role_id, role_name, status, expires_at) values (${waiting}, ${a!.id}, 'ops-a', 'PENDING', now())`).rejects.toThrow(/approvals_session_role/);
  });
});
