import path from 'node:path';
import postgres from 'postgres';
import type { AppConfig } from '../config/env.ts';
import { createDatabase, type Database } from '../db/client.ts';
import { prepareEmbeddedRoles } from '../db/embedded/app-roles.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../db/embedded-postgres.ts';
import { migrateDatabase, pendingMigrations } from '../db/migrate.ts';
import { auditProtection, type AuditProtection } from '../db/roles.ts';
import type { Logger } from '../shared/logger.ts';

export interface DatabaseRuntime {
  /** The application role's URL (pool, worker). */
  url: string;
  database: Database;
  embedded: EmbeddedPostgresHandle | undefined;
  /** Whether this process's role could rewrite the audit trail (warned at start when it could). */
  audit: AuditProtection;
  /** Closes the pool, then stops the embedded server if we started one. */
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded Postgres (which sets up its owner and
 * application roles itself), brings the schema up to date as the owner, and serves as the
 * application role. Without an owner URL, DATABASE_URL's role migrates when it may (one role for
 * everything, warned), and an application-only role refuses a schema older than the code.
 */
export async function openDatabase(config: AppConfig, logger: Logger, opts: { poolSize?: number } = {}): Promise<DatabaseRuntime> {
  let urls: { app: string; owner: string | undefined };
  let embedded: EmbeddedPostgresHandle | undefined;
  if (config.database.kind === 'external') {
    urls = { app: config.database.url, owner: config.database.ownerUrl };
  } else {
    const dataDir = path.resolve(config.database.dataDir);
    logger.info({ dataDir, port: config.database.port }, 'starting embedded Postgres (set DATABASE_URL to use your own)');
    embedded = await startEmbeddedPostgres({ dataDir, port: config.database.port, log: logger });
    try {
      const roles = await prepareEmbeddedRoles(embedded.url, dataDir);
      urls = { app: roles.appUrl, owner: roles.ownerUrl };
    } catch (err) {
      await embedded.stop();
      throw err;
    }
  }
  let database: Database | undefined;
  try {
    if (urls.owner) await migrateDatabase(urls.owner, { appRole: decodeURIComponent(new URL(urls.app).username) });
    else await migrateAsApp(urls.app);
    database = createDatabase(urls.app, { max: opts.poolSize ?? 10 });
    const audit = await auditProtection(database.client);
    if (!audit.protected) {
      logger.warn(
        { role: audit.role, problem: audit.problem },
        `the audit trail is append-only only against accidents: ${audit.problem}. Set DATABASE_OWNER_URL and give DATABASE_URL a role that only uses the schema (README "Database roles")`,
      );
    }
    const db = database;
    return {
      url: urls.app,
      database: db,
      embedded,
      audit,
      async close() {
        await db.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await database?.close();
    await embedded?.stop();
    throw err;
  }
}

/**
 * One URL only: a role that may change the schema (the owner, or a superuser) migrates as
 * before; a role that may not must find the schema current (`entryguard migrate` with
 * DATABASE_OWNER_URL ran first).
 */
async function migrateAsApp(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let pending: number;
  let protection: AuditProtection;
  let mayCreate: boolean;
  try {
    protection = await auditProtection(sql);
    pending = await pendingMigrations(sql);
    const [row] = await sql<{ mayCreate: boolean }[]>`select has_database_privilege(current_database(), 'CREATE') as "mayCreate"`;
    mayCreate = !!row?.mayCreate;
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (!protection.protected && (!protection.missing || mayCreate)) return migrateDatabase(url);
  if (pending > 0) {
    throw new Error(
      `the database schema lacks ${pending} migration(s) of this version, and the role "${protection.role}" may not change it: ` +
        'run `entryguard migrate` with DATABASE_OWNER_URL set (the schema owner), then start again',
    );
  }
}
