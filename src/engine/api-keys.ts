import { and, eq, isNull, lte, or } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { apiKeys, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { hashToken, randomToken } from '../shared/tokens.ts';
import type { Clock } from '../shared/clock.ts';
import { recordAudit, type Actor } from './audit.ts';

export const API_SCOPES = ['sessions:read', 'sessions:write', 'sessions:admin', 'approvals:write', 'audit:read', 'api-keys:admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A key nobody rotates is a key nobody notices leaking: every key expires, after 90 days unless said otherwise. */
export const DEFAULT_KEY_LIFETIME_DAYS = 90;
export const MAX_KEY_LIFETIME_DAYS = 365;
const DAY_MS = 86_400_000;

/** Last use is written at most this often per key: a write on every request would cost more than the date is worth. */
const LAST_USE_RESOLUTION_MS = 60_000;

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

export const isValidLifetimeDays = (days: number): boolean => Number.isInteger(days) && days >= 1 && days <= MAX_KEY_LIFETIME_DAYS;

/**
 * Creates a key acting as `userId`; the token is returned once and only its hash is kept. It
 * expires `lifetimeDays` (1–365, default 90) after `now`, or at `expiresAt` when given.
 * Errors: VALIDATION_FAILED for a lifetime out of range.
 */
export async function createApiKey(
  tx: DbOrTx,
  input: { orgId: string; userId: string; name: string; scopes: ApiScope[]; now: Date; lifetimeDays?: number; expiresAt?: Date; actor: Actor },
): Promise<{ id: string; token: string; prefix: string; expiresAt: Date }> {
  const days = input.lifetimeDays ?? DEFAULT_KEY_LIFETIME_DAYS;
  if (!isValidLifetimeDays(days)) {
    throw new AppError('VALIDATION_FAILED', `An API key lives from 1 to ${MAX_KEY_LIFETIME_DAYS} days (whole days).`);
  }
  const expiresAt = input.expiresAt ?? new Date(input.now.getTime() + days * DAY_MS);
  const token = `${PREFIX}${randomToken()}`;
  const prefix = token.slice(0, PREFIX.length + 6);
  const [row] = await tx
    .insert(apiKeys)
    .values({ orgId: input.orgId, userId: input.userId, name: input.name, prefix, tokenHash: hashToken(token), scopes: input.scopes, expiresAt })
    .returning({ id: apiKeys.id });
  await recordAudit(tx, input.actor, {
    action: 'API_KEY_CREATE',
    targetType: 'api_key',
    targetId: row!.id,
    details: { name: input.name, scopes: input.scopes, userId: input.userId, expiresAt: expiresAt.toISOString() },
  });
  return { id: row!.id, token, prefix, expiresAt };
}

/**
 * Resolves a presented token to its key and user. Revoked, expired, unknown keys and keys of
 * disabled users are all UNAUTHORIZED with the same message (no probing which one it was).
 * Each request reads the key afresh, so a revocation holds from the next request on.
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
  if (!row || !row.user.isActive || row.key.expiresAt <= now) throw unauthorized;
  const last = row.key.lastUsedAt;
  if (!last || now.getTime() - last.getTime() >= LAST_USE_RESOLUTION_MS) {
    // The condition again in SQL: concurrent requests of one key write it once.
    const staleBefore = new Date(now.getTime() - LAST_USE_RESOLUTION_MS);
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, row.key.id), or(isNull(apiKeys.lastUsedAt), lte(apiKeys.lastUsedAt, staleBefore))));
  }
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
