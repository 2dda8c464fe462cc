import { recordAudit, systemActor } from './audit.ts';
import { transaction } from '../db/transaction.ts';
import type { EngineDeps } from './deps.ts';
import { beginEnding, lockSession } from './end-session.ts';
import { isHolding } from './state-machine.ts';

/**
 * Ends a session whose time is up. Idempotent and safe to run early or twice: a session that was
 * extended (its expiry is still ahead), stopped or already ended is left alone.
 * Returns whether the session started ending.
 */
export async function expireSession(deps: EngineDeps, sessionId: string): Promise<boolean> {
  return transaction(deps.db, async (tx) => {
    const session = await lockSession(tx, sessionId);
    if (!session || !isHolding(session.state) || !session.expiresAt) return false;
    if (session.expiresAt.getTime() > deps.clock.now().getTime()) return false;
    const state = await beginEnding(tx, deps, session, 'EXPIRED');
    await recordAudit(tx, systemActor(session.orgId, 'expiry'), {
      action: 'SESSION_EXPIRE',
      targetType: 'session',
      targetId: session.id,
      details: { from: session.state, to: state, expiresAt: session.expiresAt.toISOString() },
    });
    return true;
  });
}
