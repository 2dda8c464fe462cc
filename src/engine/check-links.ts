import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { checkLinks, sessions, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { hashToken, randomToken, safeEqual } from '../shared/tokens.ts';
import { recordAudit, type Actor } from './audit.ts';
import { checkAccess, type AccessCheck } from './check-access.ts';
import type { EngineDeps, SyncDeps } from './deps.ts';
import type { UserActor } from './powers.ts';
import { changeSessionAddress, type AddressChange, type AddressChangeResult } from './session-address.ts';
import { LIVE_STATES } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

/**
 * Single-use links to the access check page, sent in chat (`check`): like claim links, GET only
 * shows; the first POST (a click, CSRF-checked) runs the check and uses the link up, and hands the
 * page an action token good for one move or add. Only the token's hash is stored.
 */

/** Creates a link for the person's given session, or their most recent live one. Errors: SESSION_NOT_FOUND. */
export async function createCheckLink(
  deps: EngineDeps,
  actor: UserActor,
  input: { sessionId?: string | undefined; ttlSeconds: number },
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  return runUseCase(deps, actor, { action: 'CHECK_LINK_CREATE', targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const mine = and(eq(sessions.orgId, me.orgId), eq(sessions.userId, me.id));
    const [session] = input.sessionId
      ? /^[0-9a-f-]{36}$/i.test(input.sessionId)
        ? await tx.select({ id: sessions.id }).from(sessions).where(and(mine, eq(sessions.id, input.sessionId)))
        : []
      : await tx
          .select({ id: sessions.id })
          .from(sessions)
          .where(and(mine, inArray(sessions.state, [...LIVE_STATES])))
          .orderBy(desc(sessions.createdAt))
          .limit(1);
    if (!session) {
      throw new AppError('SESSION_NOT_FOUND', input.sessionId ? 'No such session.' : 'You have no running session to check. Start one first.');
    }
    const token = randomToken();
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000);
    const [link] = await tx
      .insert(checkLinks)
      .values({ tokenHash: hashToken(token), orgId: me.orgId, userId: me.id, sessionId: session.id, createdAt: now, expiresAt })
      .returning({ id: checkLinks.id });
    await recordAudit(tx, actor, { action: 'CHECK_LINK_CREATE', targetType: 'session', targetId: session.id, details: { link: link!.id } });
    return { token, sessionId: session.id, expiresAt };
  });
}

export type CheckLinkStatus = 'ready' | 'used' | 'expired';

/** What GET shows: nothing changes. Errors: CHECK_INVALID. */
export async function previewCheckLink(deps: Pick<EngineDeps, 'db' | 'clock'>, token: string): Promise<{ status: CheckLinkStatus; userEmail: string; sessionId: string; expiresAt: Date }> {
  const [row] = await deps.db
    .select({ link: checkLinks, email: users.email })
    .from(checkLinks)
    .innerJoin(users, eq(users.id, checkLinks.userId))
    .where(eq(checkLinks.tokenHash, hashToken(token)));
  if (!row) throw new AppError('CHECK_INVALID', 'This link is not valid. Run check again from chat.');
  const status: CheckLinkStatus = row.link.usedAt ? 'used' : row.link.expiresAt <= deps.clock.now() ? 'expired' : 'ready';
  return { status, userEmail: row.email, sessionId: row.link.sessionId, expiresAt: row.link.expiresAt };
}

/**
 * The click: uses the link up and runs the check from the address of that request. Returns the
 * check and the action token for one move or add. Errors: CHECK_INVALID, CHECK_USED, CHECK_EXPIRED.
 */
export async function runCheckLink(deps: SyncDeps, input: { token: string; ip: string }): Promise<{ check: AccessCheck; actionToken: string }> {
  const actionToken = randomToken();
  const link = await useLink(deps, input.token, input.ip, { usedAt: deps.clock.now(), actionTokenHash: hashToken(actionToken) });
  const check = await checkAccess(deps, linkActor(link, input.ip), { sessionId: link.sessionId, seen: [input.ip] });
  return { check, actionToken };
}

/**
 * Move my session here / Add this address, from the check page: once per link, from the address
 * of this very request (never one the page sends). Errors: CHECK_INVALID, CHECK_EXPIRED, CHECK_USED
 * and those of changeSessionAddress.
 */
export async function actOnCheckLink(deps: EngineDeps, input: { token: string; actionToken: string; ip: string; mode: AddressChange }): Promise<AddressChangeResult> {
  const [link] = await deps.db.select().from(checkLinks).where(eq(checkLinks.tokenHash, hashToken(input.token)));
  if (!link?.actionTokenHash || !safeEqual(link.actionTokenHash, hashToken(input.actionToken))) {
    throw new AppError('CHECK_INVALID', 'This page is no longer valid. Run check again from chat.');
  }
  if (link.expiresAt.getTime() + ACTION_GRACE_MS <= deps.clock.now().getTime()) throw new AppError('CHECK_EXPIRED', 'This page has expired. Run check again from chat.');
  // Claimed atomically: two clicks (or two tabs) make one change.
  const claimed = await deps.db
    .update(checkLinks)
    .set({ actedAt: deps.clock.now() })
    .where(and(eq(checkLinks.id, link.id), isNull(checkLinks.actedAt)))
    .returning({ id: checkLinks.id });
  if (claimed.length === 0) throw new AppError('CHECK_USED', 'This page already changed the session once. Run check again from chat for another change.');
  try {
    return await changeSessionAddress(deps, linkActor(link, input.ip), { sessionId: link.sessionId, ip: input.ip, mode: input.mode });
  } catch (err) {
    // A refusal changed nothing: the page may try the other button.
    await deps.db.update(checkLinks).set({ actedAt: null }).where(eq(checkLinks.id, link.id));
    throw err;
  }
}

/** After the link's own expiry, the page it opened may still act this long (the person read the verdicts). */
const ACTION_GRACE_MS = 10 * 60_000;

type LinkRow = typeof checkLinks.$inferSelect;

const linkActor = (link: LinkRow, ip: string): UserActor => ({ type: 'user', orgId: link.orgId, userId: link.userId, label: `check:${link.id.slice(0, 8)}`, ip });

async function useLink(deps: SyncDeps, token: string, ip: string, set: { usedAt: Date; actionTokenHash: string }): Promise<LinkRow> {
  const [peek] = await deps.db.select().from(checkLinks).where(eq(checkLinks.tokenHash, hashToken(token)));
  const actor: Actor = { type: 'user', orgId: peek?.orgId ?? null, userId: peek?.userId, label: `check:${peek?.id.slice(0, 8) ?? 'unknown'}`, ip };
  return runUseCase(deps, actor, { action: 'CHECK_LINK_USE', targetType: 'session', targetId: peek?.sessionId }, async (tx) => {
    const [link] = await tx.select().from(checkLinks).where(eq(checkLinks.tokenHash, hashToken(token))).for('update');
    if (!link) throw new AppError('CHECK_INVALID', 'This link is not valid. Run check again from chat.');
    if (link.usedAt) throw new AppError('CHECK_USED', 'This link was already used. Run check again from chat for a new one.');
    if (link.expiresAt <= deps.clock.now()) throw new AppError('CHECK_EXPIRED', 'This link has expired. Run check again from chat for a new one.');
    await tx.update(checkLinks).set(set).where(eq(checkLinks.id, link.id));
    return link;
  });
}

/** Links that can do nothing any more (the purge job calls this with the claims). */
export async function purgeCheckLinks(deps: Pick<EngineDeps, 'db' | 'clock'>): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - ACTION_GRACE_MS - 60 * 60_000).toISOString();
  const rows = await deps.db.delete(checkLinks).where(sql`${checkLinks.expiresAt} < ${before}::timestamptz`).returning({ id: checkLinks.id });
  return rows.length;
}
