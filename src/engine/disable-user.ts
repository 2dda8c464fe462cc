import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { sessions, users } from '../db/schema/index.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { beginEnding } from './end-session.ts';
import { LIVE_STATES } from './state-machine.ts';

/**
 * Disables a user inside the caller's transaction and ends every live session of theirs with
 * reason ADMIN (their rules are released by the syncs this queues). Idempotent.
 * Returns how many sessions were ended.
 */
export async function disableUser(tx: Tx, deps: EngineDeps, userId: string, actor: Actor): Promise<number> {
  const [user] = await tx.update(users).set({ isActive: false, updatedAt: deps.clock.now() }).where(eq(users.id, userId)).returning();
  if (!user) return 0;
  const live = await tx
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), inArray(sessions.state, [...LIVE_STATES])))
    .orderBy(sessions.id)
    .for('update');
  for (const session of live) {
    const state = await beginEnding(tx, deps, session, 'ADMIN');
    await recordAudit(tx, actor, {
      action: 'SESSION_STOP',
      targetType: 'session',
      targetId: session.id,
      details: { reason: 'ADMIN', cause: 'user disabled', from: session.state, to: state, ownerId: userId },
    });
  }
  await recordAudit(tx, actor, { action: 'USER_DISABLE', targetType: 'user', targetId: userId, details: { email: user.email, sessionsEnded: live.length } });
  return live.length;
}
