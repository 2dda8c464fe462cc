import { and, count, eq, inArray } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { approvals, sessionRules, sessions, type SessionOrigin } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { hostCidr, ipVersion } from '../shared/ip.ts';
import { MINUTE_MS } from '../shared/clock.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { loadEntitlements, lockUsableResources, type Entitlements } from './entitlements.ts';
import { scheduleExpiryWarning } from './expiry-warning.ts';
import { effectiveMaxMinutes, offeredDurations, planLimits, startDurationHint, type PlanName } from './plans.ts';
import { LIVE_STATES } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { spendAction } from './throttle.ts';
import { checkReason, normalizeReason } from './reason.ts';
import { loadActiveUser, loadOrg } from './users.ts';

export interface StartSessionInput {
  orgId: string;
  userId: string;
  /** Omitted: the org's default duration, else the shortest offered. */
  durationMinutes?: number | undefined;
  ipv4?: string | undefined;
  ipv6?: string | undefined;
  origin: SessionOrigin;
  actor: Actor;
  /** Started by a claim link confirmed in a browser (then claim.confirmInChat may apply). */
  fromClaim?: boolean | undefined;
  /** Why ("fixing INC-123"); required when a role says requireReason. Stored one-line and capped (reason.ts). */
  reason?: string | undefined;
}

/**
 * Starts a session: checks the duration against what the plan offers and the user's cap,
 * the concurrency limit (under a lock on the user, so simultaneous starts are counted one by
 * one), then writes the session, its rules and the jobs that follow in one transaction.
 * A role requiring approval puts it in AWAITING_APPROVAL; otherwise it is PENDING and the clock
 * runs. Returns the new session's id.
 * Each start spends one of the user's actions (throttle.ts).
 * Errors: USER_NOT_FOUND, USER_DISABLED, THROTTLED, DURATION_NOT_ALLOWED, REASON_REQUIRED, CONCURRENCY_LIMIT, NO_RESOURCES, NO_IP_ADDRESS.
 */
export async function startSession(deps: EngineDeps, input: StartSessionInput): Promise<string> {
  return runUseCase(deps, input.actor, { action: 'SESSION_START', targetType: 'user', targetId: input.userId }, (tx) =>
    startSessionInTx(tx, deps, input),
  );
}

/** The same start inside a caller's transaction (the claim page confirms and starts atomically). */
export async function startSessionInTx(tx: Tx, deps: EngineDeps, input: StartSessionInput): Promise<string> {
  await loadActiveUser(tx, input.orgId, input.userId, { lock: true });
  const { org, entitlements, limits, maxMinutes, offered } = await loadStartPolicy(tx, input.orgId, input.userId);
  const duration = checkDuration(offered, input.durationMinutes, org.settings.defaultDurationHours);
  const reason = normalizeReason(input.reason);
  checkReason(entitlements.reasonRoles, reason);
  const addresses = collectAddresses(input);
  const resourceIds = await lockUsableResources(tx, entitlements.resourceIds);
  // After the resource locks, so an org-file apply racing this start meets them as before.
  await spendAction(tx, deps.clock.now(), input.userId, org.settings);
  if (resourceIds.length === 0) {
    throw new AppError('NO_RESOURCES', 'None of your roles gives you access to a resource yet. Ask an admin.');
  }
  if (limits.maxConcurrentSessions !== null) {
    const [live] = await tx
      .select({ n: count() })
      .from(sessions)
      .where(and(eq(sessions.userId, input.userId), inArray(sessions.state, [...LIVE_STATES])));
    if ((live?.n ?? 0) >= limits.maxConcurrentSessions) {
      throw new AppError(
        'CONCURRENCY_LIMIT',
        `You already have ${live?.n === 1 ? 'a live session' : `${live?.n} live sessions`}, the most your plan allows. Stop one first.`,
        { details: { limit: limits.maxConcurrentSessions } },
      );
    }
  }

  const now = deps.clock.now();
  // A claim link confirmed in a browser only captures the address when the org or a role asks for
  // the requester's OK in chat (claim.confirmInChat): whoever held the link opened nothing yet.
  const awaitConfirmation = input.fromClaim === true && (org.settings.claim?.confirmInChat === true || entitlements.confirmInChat);
  const needsApproval = entitlements.approvalRoles.length > 0;
  const [session] = await tx
    .insert(sessions)
    .values({
      orgId: input.orgId,
      userId: input.userId,
      state: awaitConfirmation ? 'AWAITING_CONFIRMATION' : needsApproval ? 'AWAITING_APPROVAL' : 'PENDING',
      ipv4: addresses.ipv4 ?? null,
      ipv6: addresses.ipv6 ?? null,
      durationMinutes: duration,
      maxTotalMinutes: maxMinutes,
      origin: input.origin,
      reason: reason ?? null,
      createdAt: now,
      startedAt: null,
      // While awaiting confirmation, the deadline for it.
      expiresAt: awaitConfirmation ? new Date(now.getTime() + CONFIRM_WINDOW_MINUTES * MINUTE_MS) : null,
      updatedAt: now,
    })
    .returning();
  if (!session) throw new Error('insert returned no session');

  await tx.insert(sessionRules).values(
    resourceIds.flatMap((resourceId) =>
      addresses.cidrs.map(({ version, cidr }) => ({
        sessionId: session.id,
        resourceId,
        ipVersion: version,
        cidr,
        state: 'PENDING' as const,
        updatedAt: now,
      })),
    ),
  );

  await recordAudit(tx, input.actor, {
    action: awaitConfirmation || needsApproval ? 'SESSION_REQUEST' : 'SESSION_START',
    targetType: 'session',
    targetId: session.id,
    details: {
      durationMinutes: duration,
      resourceCount: resourceIds.length,
      ipv4: addresses.ipv4,
      ipv6: addresses.ipv6,
      origin: input.origin,
      ...(reason ? { reason } : {}),
      ...(awaitConfirmation ? { awaitingConfirmationInChat: true } : {}),
    },
  });
  if (awaitConfirmation) {
    // The approval_timeout job also drops an address nobody confirmed (confirm-address.ts).
    await deps.jobs.approvalTimeout(tx, session.id, session.expiresAt!);
    await deps.jobs.notifySession(tx, session.id, 'requested');
  } else {
    await beginSession(tx, deps, session, entitlements.approvalRoles, resourceIds);
  }
  return session.id;
}

/** How long a requester has to open, in chat, the address a browser captured. */
export const CONFIRM_WINDOW_MINUTES = 10;

/**
 * Moves a new (or just confirmed) session on: to AWAITING_APPROVAL with one request per role
 * needing approval, or to PENDING with its clock started and its rules sent to the firewalls.
 */
export async function beginSession(
  tx: Tx,
  deps: EngineDeps,
  session: { id: string; durationMinutes: number },
  approvalRoles: Entitlements['approvalRoles'],
  resourceIds: readonly string[],
): Promise<'AWAITING_APPROVAL' | 'PENDING'> {
  const now = deps.clock.now();
  // Jobs last: their keyed rows are shared by every session on a resource, so hold their locks
  // for as short a time as possible (until the commit right after).
  if (approvalRoles.length > 0) {
    await tx.update(sessions).set({ state: 'AWAITING_APPROVAL', expiresAt: null, updatedAt: now }).where(eq(sessions.id, session.id));
    // One request per role, each with its own deadline; the timeout job runs at the earliest.
    const asked = await tx
      .insert(approvals)
      .values(
        approvalRoles.map((r) => ({
          sessionId: session.id,
          roleId: r.id,
          roleName: r.name,
          status: 'PENDING' as const,
          requestedAt: now,
          expiresAt: new Date(now.getTime() + r.timeoutMinutes * MINUTE_MS),
        })),
      )
      .returning({ expiresAt: approvals.expiresAt });
    await deps.jobs.approvalTimeout(tx, session.id, new Date(Math.min(...asked.map((a) => a.expiresAt.getTime()))));
    await deps.jobs.notifySession(tx, session.id, 'approval_requested');
    return 'AWAITING_APPROVAL';
  }
  const expiresAt = new Date(now.getTime() + session.durationMinutes * MINUTE_MS);
  await tx.update(sessions).set({ state: 'PENDING', startedAt: now, expiresAt, updatedAt: now }).where(eq(sessions.id, session.id));
  await deps.jobs.expireSession(tx, session.id, expiresAt);
  await scheduleExpiryWarning(tx, deps.jobs, session.id, expiresAt, now);
  await deps.jobs.syncResources(tx, resourceIds);
  await deps.jobs.notifySession(tx, session.id, 'started');
  return 'PENDING';
}

/** What this user may start right now: durations offered, cap, limits, resources. */
export async function loadStartPolicy(tx: DbOrTx, orgId: string, userId: string) {
  const org = await loadOrg(tx, orgId);
  const entitlements = await loadEntitlements(tx, userId);
  const limits = planLimits(org.plan as PlanName, org.settings);
  const maxMinutes = effectiveMaxMinutes(org.plan as PlanName, org.settings, entitlements.roleCapsHours);
  return { org, entitlements, limits, maxMinutes, offered: offeredDurations(limits, maxMinutes) };
}

/** The duration to use, or DURATION_NOT_ALLOWED listing what may be picked. */
export function checkDuration(offered: number[], requested: number | undefined, defaultHours: number | undefined): number {
  const duration = requested ?? defaultDuration(offered, defaultHours);
  if (duration === undefined || !offered.includes(duration)) {
    throw new AppError('DURATION_NOT_ALLOWED', startDurationHint(offered, requested), { details: { requestedMinutes: requested, offeredMinutes: offered } });
  }
  return duration;
}

function defaultDuration(offered: number[], defaultHours: number | undefined): number | undefined {
  const preferred = defaultHours !== undefined ? Math.round(defaultHours * 60) : undefined;
  return preferred !== undefined && offered.includes(preferred) ? preferred : offered[0];
}

function collectAddresses(input: StartSessionInput) {
  const ipv4 = input.ipv4 && ipVersion(input.ipv4) === 4 ? input.ipv4 : undefined;
  const ipv6 = input.ipv6 && ipVersion(input.ipv6) === 6 ? input.ipv6 : undefined;
  if ((input.ipv4 && !ipv4) || (input.ipv6 && !ipv6)) {
    throw new AppError('NO_IP_ADDRESS', 'The address EntryGuard saw for you is not a valid IP address.');
  }
  if (!ipv4 && !ipv6) throw new AppError('NO_IP_ADDRESS', 'EntryGuard could not tell your IP address.');
  const cidrs: { version: 4 | 6; cidr: string }[] = [];
  if (ipv4) cidrs.push({ version: 4, cidr: hostCidr(ipv4) });
  if (ipv6) cidrs.push({ version: 6, cidr: hostCidr(ipv6) });
  return { ipv4, ipv6, cidrs };
}
