import path from 'node:path';
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded-postgres.ts';
import { withCredentials } from '../../src/db/embedded/app-roles.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { setUpRoles } from '../../src/db/roles.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

const TEMPLATE = `eg_template_${process.pid}`;

/**
 * The roles tests run as, as in production (README "Database roles"): the owner migrates the
 * template; test code connects as the application role, which owns nothing.
 */
export const TEST_ROLES = {
  owner: { name: 'eg_test_owner', password: 'eg_test_owner' },
  app: { name: 'eg_test_app', password: 'eg_test_app' },
} as const;

/**
 * One Postgres server for the whole run (TEST_DATABASE_URL, or an embedded one), and one
 * migrated template database that every test file clones (see db.ts): a fresh database per file
 * for the price of a file copy.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.resolve('.data/test-pg'),
      port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54330),
      database: 'postgres',
    });
    adminUrl = embedded.url;
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await dropStaleTemplates(admin);
  await setUpRoles(admin, TEMPLATE, TEST_ROLES);
  await migrateDatabase(withCredentials(withDatabase(adminUrl, TEMPLATE), TEST_ROLES.owner), { appRole: TEST_ROLES.app.name });
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  return async () => {
    await admin.unsafe(`drop database if exists "${TEMPLATE}" with (force)`);
    await admin.end({ timeout: 5 });
    await embedded?.stop();
  };
}

/** Leftovers of runs that were killed before their teardown. */
async function dropStaleTemplates(admin: postgres.Sql): Promise<void> {
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database where datname like 'eg_template_%' or datname like 'eg_test_%'`;
  for (const { datname } of rows) {
    const pid = Number(/_(\d+)(?:_|$)/.exec(datname)?.[1]);
    if (pid && pid !== process.pid && isAlive(pid)) continue;
    await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
