import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { adoptObjects, setUpRoles, type LoginRole } from '../roles.ts';

/** The embedded server's two roles (README "Database roles"); the superuser only sets them up. */
export const EMBEDDED_OWNER_ROLE = 'entryguard_owner';
export const EMBEDDED_APP_ROLE = 'entryguard_app';

/** Their passwords, made once per data folder and readable by this user only. */
const PASSWORDS_FILE = 'entryguard-roles.json';

export interface RoleUrls {
  ownerUrl: string;
  appUrl: string;
}

/**
 * Makes the embedded server's database belong to the owner role and returns a URL for each
 * role. `adminUrl` is the superuser's URL of that database. Idempotent and cheap on later starts.
 */
export async function prepareEmbeddedRoles(adminUrl: string, dataDir: string): Promise<RoleUrls> {
  const roles = rolePasswords(dataDir);
  const database = decodeURIComponent(new URL(adminUrl).pathname.slice(1));
  const admin = postgres(withDatabase(adminUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await setUpRoles(admin, database, roles);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const inDb = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await adoptObjects(inDb, roles.owner.name);
  } finally {
    await inDb.end({ timeout: 5 });
  }
  return { ownerUrl: withCredentials(adminUrl, roles.owner), appUrl: withCredentials(adminUrl, roles.app) };
}

function rolePasswords(dataDir: string): { owner: LoginRole; app: LoginRole } {
  const file = path.join(dataDir, PASSWORDS_FILE);
  const fresh = { owner: randomBytes(24).toString('base64url'), app: randomBytes(24).toString('base64url') };
  if (!fs.existsSync(file)) {
    // Written whole, then linked into place: a process starting at the same time reads either
    // nothing (and links its own, which fails) or the complete file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(fresh), { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { owner: string; app: string };
  return { owner: { name: EMBEDDED_OWNER_ROLE, password: saved.owner }, app: { name: EMBEDDED_APP_ROLE, password: saved.app } };
}

export function withCredentials(url: string, role: LoginRole): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role.name);
  u.password = encodeURIComponent(role.password);
  return u.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
