import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { Logger, runMigrations } from 'graphile-worker';

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** Arbitrary but fixed: every EntryGuard process migrating this database takes the same lock. */
const MIGRATION_LOCK_ID = 727_274_001;

/**
 * Brings the database to the current schema: our tables (drizzle migrations) and
 * graphile-worker's. Safe to call from many processes at once: a session-level advisory lock on
 * a dedicated single connection serialises them, and the later ones find nothing to do.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await drizzleMigrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await runMigrations({ connectionString: url, logger: new Logger(() => () => {}) });
  } finally {
    await client.end({ timeout: 5 }); // ending the session releases the lock
  }
}
