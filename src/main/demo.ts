import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { parseOrgFile } from '../config/org-file.ts';
import { organizations, resources, users } from '../db/schema/index.ts';
import { applyOrgConfig } from '../engine/apply-org-config.ts';
import { API_SCOPES, createApiKey } from '../engine/api-keys.ts';
import { systemActor } from '../engine/audit.ts';
import type { SyncDeps } from '../engine/deps.ts';
import { verifyResource } from '../engine/verify-resource.ts';

const DEMO_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../config/examples/demo.yaml');

/**
 * First run with the demo on: applies the demo organization and creates an API key for its
 * admin. Returns the key (shown once), or undefined when the demo already exists.
 */
export async function ensureDemo(deps: SyncDeps, knownKinds: readonly string[]): Promise<string | undefined> {
  const [existing] = await deps.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, 'demo'));
  if (existing) return undefined;
  const file = parseOrgFile(await readFile(DEMO_FILE, 'utf8'));
  await applyOrgConfig(deps, file, { dryRun: false, actor: systemActor(null, 'demo'), knownKinds });
  const [admin] = await deps.db.select().from(users).where(eq(users.email, 'admin@demo.local'));
  if (!admin) throw new Error('demo organization has no admin@demo.local');
  // Verify now rather than in the background, so the very first request can open them.
  for (const r of await deps.db.select({ id: resources.id }).from(resources).where(eq(resources.orgId, admin.orgId))) {
    await verifyResource(deps, r.id);
  }
  const key = await deps.db.transaction((tx) =>
    createApiKey(tx, { orgId: admin.orgId, userId: admin.id, name: 'demo', scopes: [...API_SCOPES], now: deps.clock.now(), actor: systemActor(admin.orgId, 'demo') }),
  );
  return key.token;
}
