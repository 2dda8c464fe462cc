import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import postgres from 'postgres';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { withCredentials } from '../../src/db/embedded/app-roles.ts';
import { quoteIdent } from '../../src/db/roles.ts';
import { TEST_ROLES, withDatabase } from './global-setup.ts';

export interface TestDatabase extends Database {
  /** The application role's URL: what `db` and `client` use, as EntryGuard does in production. */
  url: string;
  /** The schema owner's URL, for what only migrations (or an attacker holding the owner) may do. */
  ownerUrl: string;
  /** Runs `fn` on a connection of the schema owner. */
  asOwner<T>(fn: (owner: postgres.Sql) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database cloned from the run's template; call `drop()` in afterAll. Its
 * `db` connects as the application role, which may only read and append to the audit trail.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const name = `eg_test_${template.split('_').pop()}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await createFromTemplate(admin, name, template);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withCredentials(withDatabase(adminUrl, name), TEST_ROLES.app);
  const ownerUrl = withCredentials(withDatabase(adminUrl, name), TEST_ROLES.owner);
  const database = createDatabase(url, { max: 10 });
  return {
    ...database,
    url,
    ownerUrl,
    async asOwner(fn) {
      const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
      try {
        return await fn(owner);
      } finally {
        await owner.end({ timeout: 5 });
      }
    },
    drop: async () => {
      await database.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end({ timeout: 5 });
    },
  };
}

async function createFromTemplate(admin: postgres.Sql, name: string, template: string): Promise<void> {
  // Postgres refuses to copy a template while another session copies it; retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`create database "${name}" template "${template}" owner ${quoteIdent(TEST_ROLES.owner.name)}`);
      return;
    } catch (err) {
      if (attempt >= 20 || !String(err).includes('is being accessed by other users')) throw err;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
}

/**
 * An empty database (never migrated) on the test server, owned by the test owner role, and its
 * URLs for the application and owner roles; call `drop()` in afterAll.
 */
export async function createEmptyDatabase(label: string): Promise<{ appUrl: string; ownerUrl: string; drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const name = `eg_test_${template.split('_').pop()}_${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" owner ${quoteIdent(TEST_ROLES.owner.name)}`);
  const url = withDatabase(adminUrl, name);
  return {
    appUrl: withCredentials(url, TEST_ROLES.app),
    ownerUrl: withCredentials(url, TEST_ROLES.owner),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
