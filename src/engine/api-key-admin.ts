import { and, desc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { apiKeys, organizations, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** What may be shown about a key: never its token or hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  orgId: string;
  orgSlug: string;
  userId: string;
  userEmail: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  status: ApiKeyStatus;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function statusOf(k: { revokedAt: Date | null; expiresAt: Date }, now: Date): ApiKeyStatus {
  if (k.revokedAt) return 'revoked';
  return k.expiresAt <= now ? 'expired' : 'active';
}

async function selectKeys(db: DbOrTx, now: Date, where: SQL[], limit = 1000): Promise<ApiKeyInfo[]> {
  const rows = await db
    .select({ key: apiKeys, email: users.email, slug: organizations.slug })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(organizations, eq(organizations.id, apiKeys.orgId))
    .where(and(...where))
    .orderBy(desc(apiKeys.createdAt))
    .limit(limit);
  return rows.map(({ key, email, slug }) => ({
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    orgId: key.orgId,
    orgSlug: slug,
    userId: key.userId,
    userEmail: email,
    scopes: key.scopes,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
    status: statusOf(key, now),
  }));
}

/**
 * API keys, newest first: of one organization or all (the CLI), of one user's email if given;
 * only usable ones unless `all`. Not audited (reading), and shows no secret.
 */
export async function listApiKeys(db: DbOrTx, now: Date, filter: { orgId?: string; email?: string; all?: boolean }): Promise<ApiKeyInfo[]> {
  const where: SQL[] = [];
  if (filter.orgId) where.push(eq(apiKeys.orgId, filter.orgId));
  if (filter.email) where.push(sql`lower(${users.email}) = lower(${filter.email})`);
  if (!filter.all) where.push(isNull(apiKeys.revokedAt), gt(apiKeys.expiresAt, now));
  return selectKeys(db, now, where);
}

/** Every key of the organization (admins only), for the admin API. Errors: FORBIDDEN. */
export async function listOrgApiKeys(deps: Pick<EngineDeps, 'db' | 'clock'>, actor: Actor & { userId: string; orgId: string }, opts: { all: boolean }): Promise<ApiKeyInfo[]> {
  return runUseCase(deps, actor, { action: 'API_KEY_LIST', targetType: 'org', targetId: actor.orgId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can list API keys.');
    return listApiKeys(tx, deps.clock.now(), { orgId: me.orgId, all: opts.all });
  });
}

/**
 * Revokes a key, named by its id or its prefix (what `list` shows), within `orgId` when given.
 * The key's next request is refused (authentication reads the key on every request). Revoking a
 * revoked key changes nothing and says so. When the actor is a user, they must be an admin of
 * the key's organization; the CLI acts as the system. Audited, refusals too.
 * Errors: API_KEY_NOT_FOUND (also for another organization's key), VALIDATION_FAILED (a prefix
 * two keys share), FORBIDDEN.
 */
export async function revokeApiKey(
  deps: Pick<EngineDeps, 'db' | 'clock'>,
  input: { key: string; orgId?: string | undefined; actor: Actor },
): Promise<{ key: ApiKeyInfo; alreadyRevoked: boolean }> {
  const { actor } = input;
  const byId = UUID.test(input.key);
  return runUseCase(deps, actor, { action: 'API_KEY_REVOKE', targetType: 'api_key', targetId: byId ? input.key : undefined }, async (tx) => {
    // A user revokes within their own organization only; the CLI (the system) within --org, if given.
    const orgId = actor.userId ? (actor.orgId ?? '') : input.orgId;
    if (actor.userId) {
      const me = await loadActiveUser(tx, actor.orgId ?? '', actor.userId);
      if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can revoke API keys.');
    }
    const now = deps.clock.now();
    const where = [byId ? eq(apiKeys.id, input.key) : eq(apiKeys.prefix, input.key), ...(orgId ? [eq(apiKeys.orgId, orgId)] : [])];
    const found = /^[\w-]{1,64}$/.test(input.key) ? await selectKeys(tx, now, where, 2) : [];
    if (found.length === 0) throw new AppError('API_KEY_NOT_FOUND', 'No such API key.');
    if (found.length > 1) throw new AppError('VALIDATION_FAILED', 'Two keys share that prefix; name the key by its id.');
    const key = found[0]!;
    if (key.revokedAt) return { key, alreadyRevoked: true };
    await tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, key.id));
    await recordAudit(tx, { ...actor, orgId: key.orgId }, {
      action: 'API_KEY_REVOKE',
      targetType: 'api_key',
      targetId: key.id,
      details: { prefix: key.prefix, name: key.name, userId: key.userId },
    });
    return { key: { ...key, revokedAt: now, status: 'revoked' }, alreadyRevoked: false };
  });
}
