import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { listAuditChains, NO_ORG_CHAIN, sealAuditEvents, verifyAuditChain } from '../../src/engine/audit-chain.ts';
import { createDatabase } from '../../src/db/client.ts';
import { createEmptyDatabase } from '../helpers/db.ts';

/*
 * Events written before the chain existed are chained by the migration that adds it, in the
 * order they were written, so an upgraded installation verifies from its first event on.
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

const MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');

/** The migrations folder as it was before `tag` (journal cut there). */
async function migrationsBefore(tag: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-migrations-'));
  cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.cp(MIGRATIONS, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(await fs.readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag));
  await fs.writeFile(journalPath, JSON.stringify(journal));
  return dir;
}

describe('upgrading to the chained audit trail', () => {
  it('chains the events already there, per organization in the order written, and new ones after them', async () => {
    const empty = await createEmptyDatabase('upgrade');
    cleanup.push(() => empty.drop());
    const owner = postgres(empty.ownerUrl, { max: 1, onnotice: () => {} });
    cleanup.push(() => owner.end({ timeout: 5 }));
    await migrate(drizzle(owner), { migrationsFolder: await migrationsBefore('0006_audit_chain') });
    const orgs = ['6d1f5a3e-0000-4000-8000-000000000001', '6d1f5a3e-0000-4000-8000-000000000002'];
    for (let i = 0; i < 12; i++) {
      const org = i % 3 === 2 ? null : orgs[i % 2]!;
      await owner`insert into audit_events (org_id, actor_type, action, result, details) values (${org}, 'system', ${`OLD_${i}`}, 'SUCCESS', ${JSON.stringify({ i })}::jsonb)`;
    }

    await migrateDatabase(empty.ownerUrl, { appRole: 'eg_test_app' });
    const app = createDatabase(empty.appUrl, { max: 2 });
    cleanup.push(() => app.close());
    expect(await listAuditChains(app.db)).toEqual([...orgs, NO_ORG_CHAIN].sort());
    await app.client`insert into audit_events (org_id, actor_type, action, result) values (${orgs[0]!}, 'system', 'NEW', 'SUCCESS')`;
    await sealAuditEvents(app.db);
    const seqs = await app.client<{ action: string; seq: string }[]>`select e.action, l.seq::text as seq from audit_events e join audit_chain l on l.event_id = e.id where e.org_id = ${orgs[0]!} order by l.seq`;
    expect(seqs.map((r) => `${r.action}:${r.seq}`)).toEqual(['OLD_0:1', 'OLD_4:2', 'OLD_6:3', 'OLD_10:4', 'NEW:5']);
    for (const chain of await listAuditChains(app.db)) {
      const report = await verifyAuditChain(app.db, chain);
      expect(report.broken, chain).toBeUndefined();
    }
  });
});
