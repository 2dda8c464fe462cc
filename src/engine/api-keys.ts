import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { apiKeys, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { hashToken, randomToken } from '../shared/tokens.ts';
import type { Clock } from '../shared/clock.ts';
import { recordAudit, type Actor } from './audit.ts';

export const API_SCOPES = ['sessions:read', 'sessions:write', 'sessions:admin', 'approvals:write', 'audit:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const PREFIX = 'eg_live_';

export interface ApiKeyPrincipal {
  keyId: string;
  keyPrefix: string;
  orgId: string;
  userId: string;
  email: string;
  isAdmin: boolean;
  scopes: ApiScope[];
}

/** Creates a key acting as `userId`; the token is returned once and only its hash is kept. */
export async function createApiKey(
  tx: DbOrTx,
  input: { orgId: string; userId: string; name: string; scopes: ApiScope[]; expiresAt?: Date; actor: Actor },
): Promise<{ id: string; token: string; prefix: string }> {
  const token = `${PREFIX}${randomToken()}`;
  const prefix = token.slice(0, PREFIX.length + 6);
  const [row] = await tx
    .insert(apiKeys)
    .values({ orgId: input.orgId, userId: input.userId, name: input.name, prefix, tokenHash: hashToken(token), scopes: input.scopes, expiresAt: input.expiresAt ?? null })
    .returning({ id: apiKeys.id });
  await recordAudit(tx, input.actor, { action: 'API_KEY_CREATE', targetType: 'api_key', targetId: row!.id, details: { name: input.name, scopes: input.scopes, userId: input.userId } });
  return { id: row!.id, token, prefix };
}

/**
 * Resolves a presented token to its key and user. Revoked, expired, unknown keys and keys of
 * disabled users are all UNAUTHORIZED with the same message (no probing which one it was).
 */
export async function authenticateApiKey(db: DbOrTx, clock: Clock, token: string): Promise<ApiKeyPrincipal> {
  const unauthorized = new AppError('UNAUTHORIZED', 'Invalid or expired API key.');
  if (!token.startsWith(PREFIX) || token.length > 200) throw unauthorized;
  const now = clock.now();
  const [row] = await db
    .select({ key: apiKeys, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.tokenHash, hashToken(token)), isNull(apiKeys.revokedAt)));
  if (!row || !row.user.isActive || (row.key.expiresAt && row.key.expiresAt <= now)) throw unauthorized;
  // Recording every use would write on every request; once a minute is enough to tell stale keys.
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, row.key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - 60_000)))));
  return {
    keyId: row.key.id,
    keyPrefix: row.key.prefix,
    orgId: row.key.orgId,
    userId: row.user.id,
    email: row.user.email,
    isAdmin: row.user.isAdmin,
    scopes: row.key.scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)),
  };
}
