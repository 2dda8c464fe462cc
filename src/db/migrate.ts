import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { Logger, runMigrations } from 'graphile-worker';
import { grantAppAccess } from './roles.ts';

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** Arbitrary but fixed: every EntryGuard process migrating this database takes the same lock. */
const MIGRATION_LOCK_ID = 727_274_001;

/**
 * Brings the database to the current schema: our tables (drizzle migrations) and
 * graphile-worker's, then (given `appRole`) grants the application role what it may do. Run it
 * as the owner role. Safe to call from many processes at once: a session-level advisory lock on
 * a dedicated single connection serialises them, and the later ones find nothing to do.
 */
export async function migrateDatabase(url: string, opts: { appRole?: string | undefined } = {}): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await drizzleMigrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await runMigrations({ connectionString: url, logger: new Logger(() => () => {}) });
    const appRole = opts.appRole;
    if (appRole) await client.begin((tx) => grantAppAccess(tx, appRole));
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * How many of our migrations the database lacks (all of them when it has none), read with any
 * role that may see drizzle's journal. The application role never migrates; it refuses to serve
 * a schema older than its code.
 */
export async function pendingMigrations(sql: postgres.Sql): Promise<number> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const [table] = await sql<{ name: string | null }[]>`select to_regclass('drizzle.__drizzle_migrations')::text as name`;
  let last = -1;
  if (table?.name) {
    const [row] = await sql<{ last: string | null }[]>`select max(created_at)::text as last from drizzle.__drizzle_migrations`;
    if (row?.last) last = Number(row.last);
  }
  return journal.entries.filter((e) => e.when > last).length;
}
