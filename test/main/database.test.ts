import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openDatabase, type DatabaseRuntime } from '../../src/main/database.ts';
import { createEmptyDatabase } from '../helpers/db.ts';
import { TEST_ROLES } from '../helpers/global-setup.ts';
import { freePort } from '../http/helpers.ts';

/*
 * Issue 10 point 5: EntryGuard serves as a role that may only read and append to the audit
 * trail, and migrates as the schema's owner: the embedded Postgres sets both roles up by itself,
 * an external database gets DATABASE_URL (application) and DATABASE_OWNER_URL (owner).
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), warnings: () => lines.filter((l) => l.level >= 40).map((l) => l.msg) };
}

async function open(env: Record<string, string>, log = capturingLogger()): Promise<DatabaseRuntime> {
  const runtime = await openDatabase(loadConfig({ LOG_LEVEL: 'silent', DEMO: 'false', ...env }), log.logger, { poolSize: 2 });
  cleanup.push(() => runtime.close());
  return runtime;
}

const currentUser = async (runtime: DatabaseRuntime) => (await runtime.database.client<{ u: string }[]>`select current_user as u`)[0]!.u;

/** An empty database on the test server, owned by the test owner role. */
async function emptyDatabase(): Promise<{ appUrl: string; ownerUrl: string }> {
  const db = await createEmptyDatabase('roles');
  cleanup.push(() => db.drop());
  return db;
}

describe('an external database with two roles', () => {
  it('migrates as DATABASE_OWNER_URL, serves as DATABASE_URL, which cannot touch the audit trail', async () => {
    const { appUrl, ownerUrl } = await emptyDatabase();
    const log = capturingLogger();
    const runtime = await open({ DATABASE_URL: appUrl, DATABASE_OWNER_URL: ownerUrl }, log);
    expect(await currentUser(runtime)).toBe(TEST_ROLES.app.name);
    expect(runtime.audit).toMatchObject({ protected: true });
    expect(log.warnings()).toEqual([]);
    await expect(runtime.database.client`alter table audit_events disable trigger user`).rejects.toThrow(/must be owner/);

    // web and worker processes started with DATABASE_URL alone find the schema current and serve.
    const appOnly = await open({ DATABASE_URL: appUrl });
    expect(appOnly.audit.protected).toBe(true);
  });

  it('with DATABASE_URL alone on a database never migrated, an application role is told to run `migrate` with DATABASE_OWNER_URL', async () => {
    const { appUrl } = await emptyDatabase();
    await expect(open({ DATABASE_URL: appUrl })).rejects.toThrow(/run `entryguard migrate` with DATABASE_OWNER_URL/);
  });

  it('with one role for everything (the owner as DATABASE_URL), it still works but warns that the audit is not protected', async () => {
    const { ownerUrl } = await emptyDatabase();
    const log = capturingLogger();
    const runtime = await open({ DATABASE_URL: ownerUrl }, log);
    expect(runtime.audit.protected).toBe(false);
    expect(log.warnings().join('\n')).toMatch(/append-only only against accidents: the role "eg_test_owner" owns audit_events.*DATABASE_OWNER_URL/);
  });
});

describe('the embedded Postgres', () => {
  it('sets up an owner and an application role, and takes over a database an older version migrated as the superuser', { timeout: 120_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-roles-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'pg');
    const port = await freePort();
    // An older EntryGuard: everything migrated and owned by the superuser.
    const old = await startEmbeddedPostgres({ dataDir, port, database: 'entryguard' });
    await migrateDatabase(old.url);
    await old.stop();

    const log = capturingLogger();
    const runtime = await open({ EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(port) }, log);
    expect(await currentUser(runtime)).toBe('entryguard_app');
    expect(runtime.audit).toMatchObject({ protected: true });
    expect(log.warnings()).toEqual([]);
    await runtime.database.client`insert into audit_events (actor_type, action, result) values ('system', 'EMBEDDED_PROBE', 'SUCCESS')`;
    await expect(runtime.database.client`update audit_events set action = 'X'`).rejects.toThrow(/permission denied/);
    await expect(runtime.database.client`alter table audit_events disable trigger user`).rejects.toThrow(/must be owner/);
    const mode = (await fs.stat(path.join(dataDir, 'entryguard-roles.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
