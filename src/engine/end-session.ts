import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { approvals, sessionRules, sessions, type EndedReason, type SessionState } from '../db/schema/index.ts';
import type { EngineDeps } from './deps.ts';
import { isHolding, WAITING_STATES } from './state-machine.ts';

export type SessionRow = typeof sessions.$inferSelect;

/**
 * Starts the end of a live session (stop, expiry, a disabled user). A session still awaiting
 * approval (or its requester's confirmation in chat) holds nothing and ends at once as CANCELLED. A holding session becomes EXPIRING: its
 * rules are marked for release and every resource it touches is synced; the sync finishes it.
 * Returns the state the session is now in. The caller holds the session row lock.
 */
export async function beginEnding(
  tx: Tx,
  deps: EngineDeps,
  session: SessionRow,
  reason: Extract<EndedReason, 'MANUAL' | 'ADMIN' | 'EXPIRED'>,
): Promise<SessionState> {
  const now = deps.clock.now();
  if (WAITING_STATES.includes(session.state)) {
    await tx
      .update(sessions)
      .set({ state: 'CANCELLED', endedAt: now, endedReason: reason, updatedAt: now })
      .where(eq(sessions.id, session.id));
    await tx
      .update(approvals)
      .set({ status: 'WITHDRAWN', decidedAt: now })
      .where(and(eq(approvals.sessionId, session.id), eq(approvals.status, 'PENDING')));
    await tx
      .update(sessionRules)
      .set({ state: 'REMOVED', removedAt: now, updatedAt: now })
      .where(eq(sessionRules.sessionId, session.id));
    await deps.jobs.notifySession(tx, session.id, 'ended');
    return 'CANCELLED';
  }
  if (!isHolding(session.state)) return session.state;

  await tx
    .update(sessions)
    .set({ state: 'EXPIRING', endedAt: now, endedReason: reason, updatedAt: now })
    .where(eq(sessions.id, session.id));
  // Rules that never made it (FAILED) hold nothing; the rest are released by the sync.
  await tx
    .update(sessionRules)
    .set({ state: 'REMOVED', removedAt: now, updatedAt: now })
    .where(and(eq(sessionRules.sessionId, session.id), eq(sessionRules.state, 'FAILED')));
  const releasing = await tx
    .update(sessionRules)
    .set({ state: 'REMOVING', updatedAt: now })
    .where(and(eq(sessionRules.sessionId, session.id), inArray(sessionRules.state, ['PENDING', 'APPLIED'])))
    .returning({ resourceId: sessionRules.resourceId });
  const resourceIds = [...new Set(releasing.map((r) => r.resourceId))];
  await deps.jobs.syncResources(tx, resourceIds);
  if (resourceIds.length === 0) {
    await tx
      .update(sessions)
      .set({ state: finalState(reason), updatedAt: now })
      .where(eq(sessions.id, session.id));
    await deps.jobs.notifySession(tx, session.id, 'ended');
    return finalState(reason);
  }
  await deps.jobs.notifySession(tx, session.id, 'state_changed');
  return 'EXPIRING';
}

/** The state an EXPIRING session settles in once all its rules are released. */
export function finalState(reason: EndedReason | null): SessionState {
  return reason === 'EXPIRED' ? 'EXPIRED' : 'CANCELLED';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Locks and returns a session; an id that is not even a UUID is simply not found. */
export async function lockSession(tx: Tx, sessionId: string): Promise<SessionRow | undefined> {
  if (!UUID.test(sessionId)) return undefined;
  const [row] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).for('update');
  return row;
}
