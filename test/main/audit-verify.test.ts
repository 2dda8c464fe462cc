import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/engine/audit.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedOrg } from '../helpers/seed.ts';

/*
 * `entryguard audit verify` as an operator runs it: the CLI with the two database URLs, its
 * output and its exit code before and after someone holding the owner role changes an event.
 */
const root = path.resolve(import.meta.dirname, '../..');
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

function verify(args: string[] = []) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/main/cli.ts'), 'audit', 'verify', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, DATABASE_OWNER_URL: db.ownerUrl, LOG_LEVEL: 'silent', DEMO: 'false' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('entryguard audit verify', () => {
  it('exits 0 with a line per organization, and 1 naming the event once one was changed', { timeout: 120_000 }, async () => {
    const org = await seedOrg(db.db);
    for (let i = 0; i < 3; i++) await recordAudit(db.db, { type: 'system', orgId: org.id, label: 'system:test' }, { action: 'PROBE', details: { i } });
    const ok = verify(['--org', org.slug]);
    expect(ok.out).toMatch(new RegExp(`^${org.slug}: ok, 3 events, head [0-9a-f]{64}$`, 'm'));
    expect(ok.code).toBe(0);

    const [row] = await db.asOwner((o) => o<{ id: string }[]>`select id::text as id from audit_events where org_id = ${org.id} and details->>'i' = '1'`);
    const id = row!.id;
    await db.asOwner((o) =>
      o.begin(async (tx) => {
        await tx`alter table audit_events disable trigger audit_events_append_only`;
        await tx`update audit_events set action = 'NOTHING_TO_SEE' where id = ${id}`;
        await tx`alter table audit_events enable trigger audit_events_append_only`;
      }),
    );
    const broken = verify();
    expect(broken.out).toContain(`${org.slug}: BROKEN at event ${id} (seq 2): event ${id} was changed after it was written`);
    expect(broken.code).toBe(1);
  });
});
