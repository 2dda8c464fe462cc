import { z } from 'zod';
import type { Task } from 'graphile-worker';
import { eq } from 'drizzle-orm';
import { sessions } from '../../db/schema/index.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { ChatNotifier, SessionEvent } from '../../engine/ports.ts';
import { EXPIRY_WARNING_MS } from '../../engine/expiry-warning.ts';
import { isHolding } from '../../engine/state-machine.ts';

const NotifyPayload = z.object({
  sessionId: z.uuid(),
  event: z.enum(['requested', 'approval_requested', 'approved', 'denied', 'started', 'state_changed', 'extended', 'expiry_warning', 'ended']),
});

/**
 * notify_session: tells every configured chat platform. A platform that fails makes the job fail
 * (graphile-worker retries with backoff); the others are still told first, and telling them again
 * on retry is harmless because notifiers render the current state.
 */
export function createNotifySessionTask(notifiers: ChatNotifier[]): Task {
  return async (payload, helpers) => {
    const { sessionId, event } = NotifyPayload.parse(payload);
    const failures: unknown[] = [];
    for (const n of notifiers) {
      try {
        await n.notify(sessionId, event as SessionEvent);
      } catch (err) {
        helpers.logger.error(`${n.platform} notification failed for session ${sessionId} (${event}); will retry`, { err });
        failures.push(err);
      }
    }
    if (failures.length) throw new AggregateError(failures, `chat notification failed on ${failures.length} platform(s)`);
  };
}

const SessionPayload = z.object({ sessionId: z.uuid() });

/** expiry_warning: if the session still ends within ten minutes (not extended meanwhile), tell chat. */
export function createExpiryWarningTask(deps: EngineDeps): Task {
  return async (payload) => {
    const { sessionId } = SessionPayload.parse(payload);
    const [s] = await deps.db.select({ state: sessions.state, expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sessionId));
    if (!s || !isHolding(s.state) || !s.expiresAt) return;
    if (s.expiresAt.getTime() - deps.clock.now().getTime() > EXPIRY_WARNING_MS + 30_000) return;
    await deps.db.transaction((tx) => deps.jobs.notifySession(tx, sessionId, 'expiry_warning'));
  };
}
