import { and, eq, sql } from 'drizzle-orm';
import { organizations, users } from '../../db/schema/index.ts';
import { listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../engine/api-key-admin.ts';
import { API_SCOPES, createApiKey, isValidLifetimeDays, MAX_KEY_LIFETIME_DAYS, type ApiScope } from '../../engine/api-keys.ts';
import { systemActor } from '../../engine/audit.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { isAppError } from '../../shared/errors.ts';

type Deps = Pick<EngineDeps, 'db' | 'clock'>;

export interface ApiKeyRequest {
  org: string;
  email: string;
  name: string;
  scopes: string[];
  /** `--expires-days` as typed: whole days, 1 to 365; unset = 90. */
  expiresInDays?: string | undefined;
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');

/** `entryguard api-key create`: prints the new key once, and when it expires. Returns the exit code. */
export async function createApiKeyCommand(deps: Deps, req: ApiKeyRequest, out: (line: string) => void): Promise<number> {
  const unknown = req.scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    out(`unknown scope(s): ${unknown.join(', ')}; choose from ${API_SCOPES.join(', ')}`);
    return 2;
  }
  const days = req.expiresInDays === undefined ? undefined : /^\d+$/.test(req.expiresInDays) ? Number(req.expiresInDays) : NaN;
  if (days !== undefined && !isValidLifetimeDays(days)) {
    out(`--expires-days must be a whole number of days from 1 to ${MAX_KEY_LIFETIME_DAYS} (got "${req.expiresInDays}")`);
    return 2;
  }
  const [user] = await deps.db
    .select({ id: users.id, orgId: users.orgId, active: users.isActive })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(and(eq(organizations.slug, req.org), sql`lower(${users.email}) = lower(${req.email})`));
  if (!user || !user.active) {
    out(`no active user ${req.email} in organization ${req.org}`);
    return 2;
  }
  const key = await deps.db.transaction((tx) =>
    createApiKey(tx, {
      orgId: user.orgId,
      userId: user.id,
      name: req.name,
      scopes: req.scopes as ApiScope[],
      now: deps.clock.now(),
      lifetimeDays: days,
      actor: systemActor(user.orgId, 'cli'),
    }),
  );
  out(key.token);
  out(`(shown once; expires ${day(key.expiresAt)} UTC; revoke with: entryguard api-key revoke ${key.prefix})`);
  return 0;
}

async function orgIdOf(deps: Deps, slug: string | undefined): Promise<string | undefined | null> {
  if (slug === undefined) return undefined;
  const [org] = await deps.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug));
  return org?.id ?? null;
}

/** Rows as aligned columns (plain text: read by people, grepped by scripts). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** `entryguard api-key list [--org SLUG] [--email EMAIL] [--all]`: usable keys, or every key with --all. */
export async function listApiKeysCommand(deps: Deps, req: { org?: string | undefined; email?: string | undefined; all?: boolean }, out: (line: string) => void): Promise<number> {
  const orgId = await orgIdOf(deps, req.org);
  if (orgId === null) {
    out(`no organization ${req.org}`);
    return 2;
  }
  const keys = await listApiKeys(deps.db, deps.clock.now(), { orgId, email: req.email, all: req.all });
  const row = (k: ApiKeyInfo) => [k.id, k.prefix, k.orgSlug, k.userEmail, k.name, k.scopes.join(','), day(k.createdAt), day(k.expiresAt), day(k.lastUsedAt), k.status];
  for (const line of table(['ID', 'PREFIX', 'ORG', 'USER', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'], keys.map(row))) out(line);
  if (!keys.length) out(req.all ? '(no API keys)' : '(no usable API keys; --all shows expired and revoked ones)');
  return 0;
}

/** `entryguard api-key revoke <id|prefix> [--org SLUG]`: the key is refused from its next request on. */
export async function revokeApiKeyCommand(deps: Deps, req: { key: string; org?: string | undefined }, out: (line: string) => void): Promise<number> {
  const orgId = await orgIdOf(deps, req.org);
  if (orgId === null) {
    out(`no organization ${req.org}`);
    return 2;
  }
  try {
    const { key, alreadyRevoked } = await revokeApiKey(deps, { key: req.key, orgId, actor: systemActor(orgId ?? null, 'cli') });
    out(alreadyRevoked ? `${key.prefix} (${key.userEmail}) was already revoked on ${day(key.revokedAt)} UTC` : `revoked ${key.prefix} (${key.userEmail}, "${key.name}")`);
    return 0;
  } catch (err) {
    if (!isAppError(err)) throw err;
    out(err.code === 'API_KEY_NOT_FOUND' ? `no API key ${req.key}${req.org ? ` in organization ${req.org}` : ''}` : err.userMessage);
    return 2;
  }
}
