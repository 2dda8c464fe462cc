import { eq } from 'drizzle-orm';
import { sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { formatMinutes } from '../shared/duration.ts';
import { MINUTE_MS } from '../shared/clock.ts';
import { recordAudit } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { lockSession } from './end-session.ts';
import { currentExtendCapMinutes } from './extend-policy.ts';
import { canExtend } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { scheduleExpiryWarning } from './expiry-warning.ts';
import { loadActiveUser, loadOrg } from './users.ts';
import { actsAsSessionAdmin, type UserActor } from './powers.ts';
import { spendAction } from './throttle.ts';

/** What an extension adds when the caller names no duration (chat `extend`, the cards' Extend button, the API). */
export const DEFAULT_EXTEND_MINUTES = 60;

export interface ExtendSessionInput {
  sessionId: string;
  additionalMinutes: number;
  /** Extend only if the session still ends at this time: a chat button carries the expiry it was
   *  rendered with, so a double click (or a stale card) extends once. Otherwise changes nothing. */
  ifExpiresAt?: Date | undefined;
  actor: UserActor;
}

export interface ExtendResult {
  expiresAt: Date;
  /** True when the extension was cut short by the session's cap. */
  trimmed: boolean;
  addedMinutes: number;
}

/**
 * Extends an ACTIVE or PARTIAL session (owner or admin): adds to the current expiry, trims at
 * the session's cap (plan, org and role limits on the *total* length: the smaller of the one
 * fixed at start and the owner's today) and refuses when already at the cap. The owner must
 * still be granted every resource the session holds. Replaces the session's expiry job.
 * Spends one of the actor's actions (throttle.ts).
 * Errors: SESSION_NOT_FOUND, INVALID_STATE, THROTTLED, NOT_ENTITLED, EXTENSION_AT_CAP, VALIDATION_FAILED.
 */
export async function extendSession(deps: EngineDeps, input: ExtendSessionInput): Promise<ExtendResult> {
  const { actor } = input;
  return runUseCase(deps, actor, { action: 'SESSION_EXTEND', targetType: 'session', targetId: input.sessionId }, async (tx) => {
    if (!Number.isInteger(input.additionalMinutes) || input.additionalMinutes < 1) {
      throw new AppError('VALIDATION_FAILED', 'An extension must be at least one minute.');
    }
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const session = await lockSession(tx, input.sessionId);
    if (!session || session.orgId !== me.orgId || (session.userId !== me.id && !actsAsSessionAdmin(me, actor))) {
      throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    }
    if (!canExtend(session.state) || !session.expiresAt || !session.startedAt) {
      throw new AppError('INVALID_STATE', `Only active sessions can be extended; this one is ${session.state}.`, {
        details: { state: session.state },
      });
    }
    if (input.ifExpiresAt && session.expiresAt.getTime() !== input.ifExpiresAt.getTime()) {
      return { expiresAt: session.expiresAt, trimmed: false, addedMinutes: 0 };
    }
    await spendAction(tx, deps.clock.now(), me.id, (await loadOrg(tx, me.orgId)).settings);
    const maxTotalMinutes = await currentExtendCapMinutes(tx, session);
    const cap = new Date(session.startedAt.getTime() + maxTotalMinutes * MINUTE_MS);
    if (session.expiresAt.getTime() >= cap.getTime()) {
      throw new AppError(
        'EXTENSION_AT_CAP',
        `This session already runs for the longest time allowed (${formatMinutes(maxTotalMinutes)} in total).`,
      );
    }
    const wanted = session.expiresAt.getTime() + input.additionalMinutes * MINUTE_MS;
    const expiresAt = new Date(Math.min(wanted, cap.getTime()));
    const addedMinutes = Math.round((expiresAt.getTime() - session.expiresAt.getTime()) / MINUTE_MS);
    const trimmed = wanted > cap.getTime();
    await tx
      .update(sessions)
      .set({ expiresAt, updatedAt: deps.clock.now() })
      .where(eq(sessions.id, session.id));
    await deps.jobs.expireSession(tx, session.id, expiresAt);
    await scheduleExpiryWarning(tx, deps.jobs, session.id, expiresAt, deps.clock.now());
    await deps.jobs.notifySession(tx, session.id, 'extended');
    await recordAudit(tx, actor, {
      action: 'SESSION_EXTEND',
      targetType: 'session',
      targetId: session.id,
      details: { requestedMinutes: input.additionalMinutes, addedMinutes, trimmed, expiresAt: expiresAt.toISOString() },
    });
    return { expiresAt, trimmed, addedMinutes };
  });
}
