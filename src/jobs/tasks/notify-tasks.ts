import { z } from 'zod';
import type { Task } from 'graphile-worker';
import { eq } from 'drizzle-orm';
import { sessions } from '../../db/schema/index.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { ChatRetryLater, type ChatNotifier, type SessionEvent } from '../../engine/ports.ts';
import { JOB, sessionQueue } from '../job-queue.ts';
import { EXPIRY_WARNING_MS } from '../../engine/expiry-warning.ts';
import { isHolding } from '../../engine/state-machine.ts';

const NotifyPayload = z.object({
  sessionId: z.uuid(),
  event: z.enum(['requested', 'approval_requested', 'approved', 'denied', 'started', 'state_changed', 'extended', 'expiry_warning', 'ended']),
  /** How many times a platform's Retry-After has already put this notification off. */
  deferrals: z.number().int().min(0).default(0),
});

/** Past this, a platform that keeps saying "later" is treated as failing (normal backoff, and visible). */
const MAX_DEFERRALS = 10;

/**
 * notify_session: tells every configured chat platform. A platform that fails makes the job fail
 * (graphile-worker retries with backoff); the others are still told first, and telling them again
 * on retry is harmless because notifiers render the current state. When every failure is a rate
 * limit with a Retry-After, the notification is queued again for exactly then instead.
 */
export function createNotifySessionTask(notifiers: ChatNotifier[], onFailure?: (platform: string) => void): Task {
  return async (payload, helpers) => {
    const { sessionId, event, deferrals } = NotifyPayload.parse(payload);
    const failures: unknown[] = [];
    for (const n of notifiers) {
      try {
        await n.notify(sessionId, event as SessionEvent);
      } catch (err) {
        helpers.logger.error(`${n.platform} notification failed for session ${sessionId} (${event}); will retry`, { err });
        // A rate limit with a Retry-After is the platform pacing us, not failing.
        if (!(err instanceof ChatRetryLater)) onFailure?.(n.platform);
        failures.push(err);
      }
    }
    if (failures.length === 0) return;
    const waits = failures.map((f) => (f instanceof ChatRetryLater ? f.retryAfterMs : undefined));
    if (deferrals < MAX_DEFERRALS && waits.every((w) => w !== undefined)) {
      const runAt = new Date(Date.now() + Math.max(...waits));
      await helpers.addJob(JOB.notifySession, { sessionId, event, deferrals: deferrals + 1 }, { queueName: sessionQueue(sessionId), runAt });
      helpers.logger.warn(`chat rate-limited for session ${sessionId} (${event}); telling it again at ${runAt.toISOString()}`);
      return;
    }
    throw new AggregateError(failures, `chat notification failed on ${failures.length} platform(s)`);
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
