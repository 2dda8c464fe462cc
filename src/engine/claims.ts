import { and, eq, inArray, sql } from 'drizzle-orm';
import { claims, organizations, resources, sessionRules, sessions, users, type PortRange, type SessionOrigin } from '../db/schema/index.ts';
import { loadEntitlements } from './entitlements.ts';
import { checkReason, normalizeReason } from './reason.ts';
import { AppError } from '../shared/errors.ts';
import { hashToken, randomToken, safeEqual } from '../shared/tokens.ts';
import { hostCidr, ipVersion } from '../shared/ip.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { checkDuration, loadStartPolicy, startSessionInTx } from './start-session.ts';
import { isHolding } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

export type ClaimRow = typeof claims.$inferSelect;

export interface CreateClaimInput {
  orgId: string;
  userId: string;
  durationMinutes?: number | undefined;
  origin: SessionOrigin;
  /** Where the request came from (chat channel …), for posting the session card later. */
  originContext?: Record<string, unknown>;
  ttlSeconds: number;
  actor: Actor;
  /** Why; required when a role says requireReason (checked now, so chat hears it before the browser). */
  reason?: string | undefined;
}

/**
 * Creates the single-use link that captures the user's address in a browser (docs/architecture.md §4).
 * Checks the duration now so a bad request fails in chat, not on the page. Only the token's
 * hash is stored; the token itself is returned once.
 * Errors: USER_NOT_FOUND, USER_DISABLED, DURATION_NOT_ALLOWED, REASON_REQUIRED, NO_RESOURCES.
 */
export async function createClaim(deps: EngineDeps, input: CreateClaimInput): Promise<{ token: string; expiresAt: Date; durationMinutes: number; reason: string | undefined }> {
  return runUseCase(deps, input.actor, { action: 'CLAIM_CREATE', targetType: 'user', targetId: input.userId }, async (tx) => {
    await loadActiveUser(tx, input.orgId, input.userId);
    const { org, offered, entitlements } = await loadStartPolicy(tx, input.orgId, input.userId);
    const durationMinutes = checkDuration(offered, input.durationMinutes, org.settings.defaultDurationHours);
    if (entitlements.resourceIds.length === 0) {
      throw new AppError('NO_RESOURCES', 'None of your roles gives you access to a resource yet. Ask an admin.');
    }
    const reason = normalizeReason(input.reason);
    checkReason(entitlements.reasonRoles, reason);
    const token = randomToken();
    const expiresAt = new Date(deps.clock.now().getTime() + input.ttlSeconds * 1000);
    const [claim] = await tx
      .insert(claims)
      .values({
        tokenHash: hashToken(token),
        orgId: input.orgId,
        userId: input.userId,
        durationMinutes,
        origin: input.origin,
        originContext: input.originContext ?? {},
        reason: reason ?? null,
        createdAt: deps.clock.now(),
        expiresAt,
      })
      .returning({ id: claims.id });
    await recordAudit(tx, input.actor, { action: 'CLAIM_CREATE', targetType: 'claim', targetId: claim!.id, details: { durationMinutes, origin: input.origin, ...(reason ? { reason } : {}) } });
    return { token, expiresAt, durationMinutes, reason };
  });
}

/**
 * How long a used claim's status page stays open after its session ended (reached EXPIRED,
 * CANCELLED, FAILED or DENIED): long enough for the page that is open to show the end and for a
 * reload or two, and no longer, because it shows the session's addresses and errors to whoever
 * holds the link (a forwarded message, a browser history). Then the link answers CLAIM_CLOSED.
 */
export const CLAIM_STATUS_GRACE_MINUTES = 15;

const ENDED = ['EXPIRED', 'CANCELLED', 'FAILED', 'DENIED'];

/** Whether a used claim's page is closed: its session ended more than the grace ago, or is gone. */
function isClosed(session: { state: string; endedAt: Date | null; updatedAt: Date } | null, now: Date): boolean {
  if (!session) return true;
  if (!ENDED.includes(session.state)) return false;
  return (session.endedAt ?? session.updatedAt).getTime() + CLAIM_STATUS_GRACE_MINUTES * 60_000 <= now.getTime();
}

const closedError = () => new AppError('CLAIM_CLOSED', 'This session has ended and its page is closed. Start again from chat for a new one.');

export interface ClaimPreview {
  status: 'valid' | 'used' | 'expired' | 'closed';
  userEmail: string;
  orgName: string;
  durationMinutes: number;
  expiresAt: Date;
  sessionId: string | null;
  /** What Confirm would open (only what this person is entitled to now), with its ports. */
  resources: { name: string; ports: PortRange[] }[];
  /** claim.confirmInChat applies: Confirm only captures the address; the requester opens it in chat. */
  confirmInChat: boolean;
}

/** What the claim page shows ('closed': used, and its session ended CLAIM_STATUS_GRACE_MINUTES ago). Reading changes nothing (link-preview crawlers fetch links). Errors: CLAIM_INVALID. */
export async function previewClaim(deps: Pick<EngineDeps, 'db' | 'clock'>, token: string): Promise<ClaimPreview> {
  const [row] = await deps.db
    .select({ claim: claims, email: users.email, orgName: organizations.name, settings: organizations.settings, session: { state: sessions.state, endedAt: sessions.endedAt, updatedAt: sessions.updatedAt } })
    .from(claims)
    .innerJoin(users, eq(users.id, claims.userId))
    .innerJoin(organizations, eq(organizations.id, claims.orgId))
    .leftJoin(sessions, eq(sessions.id, claims.sessionId))
    .where(eq(claims.tokenHash, hashToken(token)));
  if (!row) throw new AppError('CLAIM_INVALID', 'This link is not valid. Start again from chat.');
  const { claim } = row;
  const now = deps.clock.now();
  const status = claim.usedAt ? (isClosed(row.session, now) ? 'closed' : 'used') : claim.expiresAt <= now ? 'expired' : 'valid';
  const entitlements = await loadEntitlements(deps.db, claim.userId);
  const opened = entitlements.resourceIds.length
    ? await deps.db.select({ name: resources.name, ports: resources.ports }).from(resources).where(inArray(resources.id, entitlements.resourceIds)).orderBy(resources.name)
    : [];
  return {
    status,
    userEmail: row.email,
    orgName: row.orgName,
    durationMinutes: claim.durationMinutes,
    expiresAt: claim.expiresAt,
    sessionId: claim.sessionId,
    resources: opened,
    confirmInChat: row.settings.claim?.confirmInChat === true || entitlements.confirmInChat,
  };
}

/**
 * Confirms a claim from the browser: marks it used and starts the session from `ip`, in one
 * transaction (a refused start leaves the link usable). Returns the session and a token the
 * page may use once to add the address of the other IP family.
 * Errors: CLAIM_INVALID, CLAIM_USED, CLAIM_CLOSED, CLAIM_EXPIRED, NO_IP_ADDRESS, and every start refusal.
 */
export async function confirmClaim(
  deps: EngineDeps,
  input: { token: string; ip: string; actorIp?: string },
): Promise<{ sessionId: string; familyToken: string }> {
  const tokenHash = hashToken(input.token);
  const [peek] = await deps.db.select().from(claims).where(eq(claims.tokenHash, tokenHash));
  const actor: Actor = peek
    ? { type: 'user', orgId: peek.orgId, userId: peek.userId, label: `claim:${peek.id.slice(0, 8)}`, ip: input.ip }
    : { type: 'user', orgId: null, label: 'claim:unknown', ip: input.ip };
  return runUseCase(deps, actor, { action: 'CLAIM_CONFIRM', targetType: 'claim', targetId: peek?.id }, async (tx) => {
    const [claim] = await tx.select().from(claims).where(eq(claims.tokenHash, tokenHash)).for('update');
    if (!claim) throw new AppError('CLAIM_INVALID', 'This link is not valid. Start again from chat.');
    if (claim.usedAt) {
      const [session] = claim.sessionId ? await tx.select().from(sessions).where(eq(sessions.id, claim.sessionId)) : [];
      if (isClosed(session ?? null, deps.clock.now())) throw closedError();
      throw new AppError('CLAIM_USED', 'This link was already used. Start again from chat for a new one.');
    }
    if (claim.expiresAt <= deps.clock.now()) throw new AppError('CLAIM_EXPIRED', 'This link has expired. Start again from chat for a new one.');
    const v = ipVersion(input.ip);
    const sessionId = await startSessionInTx(tx, deps, {
      orgId: claim.orgId,
      userId: claim.userId,
      durationMinutes: claim.durationMinutes,
      ipv4: v === 4 ? input.ip : undefined,
      ipv6: v === 6 ? input.ip : undefined,
      origin: claim.origin,
      actor,
      fromClaim: true,
      reason: claim.reason ?? undefined,
    });
    const familyToken = randomToken();
    await tx
      .update(claims)
      .set({ usedAt: deps.clock.now(), sessionId, familyTokenHash: hashToken(familyToken) })
      .where(eq(claims.id, claim.id));
    return { sessionId, familyToken };
  });
}

/**
 * Adds the caller's address of the *other* IP family to the session a claim started (the page
 * calls this on the single-stack PUBLIC_URL_V4 / _V6 host). Once per family; no-op if the
 * session already has one of that family. Errors: CLAIM_INVALID, INVALID_STATE, NO_IP_ADDRESS.
 */
export async function addClaimAddress(
  deps: EngineDeps,
  input: { token: string; familyToken: string; ip: string },
): Promise<{ added: boolean; ipVersion: 4 | 6 }> {
  const [peek] = await deps.db.select().from(claims).where(eq(claims.tokenHash, hashToken(input.token)));
  const actor: Actor = { type: 'user', orgId: peek?.orgId ?? null, userId: peek?.userId, label: `claim:${peek?.id.slice(0, 8) ?? 'unknown'}`, ip: input.ip };
  return runUseCase(deps, actor, { action: 'CLAIM_ADD_ADDRESS', targetType: 'session', targetId: peek?.sessionId ?? undefined }, async (tx) => {
    const [claim] = await tx.select().from(claims).where(eq(claims.tokenHash, hashToken(input.token)));
    if (!claim?.sessionId || !claim.familyTokenHash || !safeEqual(claim.familyTokenHash, hashToken(input.familyToken))) {
      throw new AppError('CLAIM_INVALID', 'This link is not valid.');
    }
    const version = ipVersion(input.ip);
    if (!version) throw new AppError('NO_IP_ADDRESS', 'EntryGuard could not tell your IP address.');
    const [session] = await tx.select().from(sessions).where(eq(sessions.id, claim.sessionId)).for('update');
    if (!session || !isHolding(session.state)) throw new AppError('INVALID_STATE', 'The session is no longer running.');
    if ((version === 4 ? session.ipv4 : session.ipv6) !== null) return { added: false, ipVersion: version };
    const resourceIds = await tx
      .selectDistinct({ id: sessionRules.resourceId })
      .from(sessionRules)
      .where(eq(sessionRules.sessionId, session.id))
      .orderBy(sessionRules.resourceId);
    const now = deps.clock.now();
    await tx.update(sessions).set(version === 4 ? { ipv4: input.ip, updatedAt: now } : { ipv6: input.ip, updatedAt: now }).where(eq(sessions.id, session.id));
    await tx
      .insert(sessionRules)
      .values(resourceIds.map((r) => ({ sessionId: session.id, resourceId: r.id, ipVersion: version, cidr: hostCidr(input.ip), state: 'PENDING' as const, updatedAt: now })))
      .onConflictDoNothing();
    await deps.jobs.syncResources(tx, resourceIds.map((r) => r.id));
    await recordAudit(tx, actor, { action: 'CLAIM_ADD_ADDRESS', targetType: 'session', targetId: session.id, details: { ipVersion: version, ip: input.ip } });
    return { added: true, ipVersion: version };
  });
}

/**
 * The session a used claim started, for the page's live status, until the page closes
 * (CLAIM_STATUS_GRACE_MINUTES after the session ended). Errors: CLAIM_INVALID, CLAIM_CLOSED.
 */
export async function claimSessionId(deps: Pick<EngineDeps, 'db' | 'clock'>, token: string): Promise<{ sessionId: string; orgId: string; userId: string }> {
  const [claim] = await deps.db
    .select({ sessionId: claims.sessionId, orgId: claims.orgId, userId: claims.userId, session: { state: sessions.state, endedAt: sessions.endedAt, updatedAt: sessions.updatedAt } })
    .from(claims)
    .leftJoin(sessions, eq(sessions.id, claims.sessionId))
    .where(and(eq(claims.tokenHash, hashToken(token)), sql`${claims.usedAt} is not null`));
  if (!claim) throw new AppError('CLAIM_INVALID', 'This link is not valid.');
  if (!claim.sessionId || isClosed(claim.session, deps.clock.now())) throw closedError();
  return { sessionId: claim.sessionId, orgId: claim.orgId, userId: claim.userId };
}
