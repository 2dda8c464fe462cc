import { MINUTE_MS } from '../shared/clock.ts';
import type { DbOrTx } from '../db/client.ts';
import type { JobQueue } from './ports.ts';

/** How long before the end chat reminds the user (with an Extend button). */
export const EXPIRY_WARNING_MS = 10 * MINUTE_MS;

/** Schedules the reminder for a session ending at `expiresAt`, unless that moment has passed. */
export async function scheduleExpiryWarning(tx: DbOrTx, jobs: JobQueue, sessionId: string, expiresAt: Date, now: Date): Promise<void> {
  const at = new Date(expiresAt.getTime() - EXPIRY_WARNING_MS);
  if (at.getTime() > now.getTime()) await jobs.expiryWarning(tx, sessionId, at);
}
