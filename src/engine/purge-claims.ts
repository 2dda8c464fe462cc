import { sql } from 'drizzle-orm';
import { systemActor, recordAudit } from './audit.ts';
import type { EngineDeps } from './deps.ts';

/**
 * How long claims are kept. An unused claim is worthless once expired; a day leaves room to see
 * what happened to a link someone asks about. A used claim holds where its session's chat
 * messages go (engine/chat-refs.ts): kept a week after the session ended, longer than
 * graphile-worker's 25 retries of a notification (about four days) after a chat outage.
 */
export const CLAIM_RETENTION_DAYS = { unused: 1, afterSessionEnded: 7 } as const;

const DAY_MS = 24 * 60 * 60_000;

/**
 * Deletes the claims past their retention, in batches (short transactions, no long locks), and
 * audits how many (CLAIMS_PURGED) when there were any. Idempotent; returns the number deleted.
 */
export async function purgeClaims(deps: Pick<EngineDeps, 'db' | 'clock'>, opts: { batch?: number } = {}): Promise<number> {
  const now = deps.clock.now().getTime();
  const unusedBefore = new Date(now - CLAIM_RETENTION_DAYS.unused * DAY_MS).toISOString();
  const endedBefore = new Date(now - CLAIM_RETENTION_DAYS.afterSessionEnded * DAY_MS).toISOString();
  const batch = opts.batch ?? 1000;
  let deleted = 0;
  for (;;) {
    const rows = await deps.db.execute<{ id: string }>(sql`
      delete from claims where id in (
        select c.id from claims c left join sessions s on s.id = c.session_id
         where (c.used_at is null and c.expires_at < ${unusedBefore}::timestamptz)
            or (c.used_at is not null and c.session_id is null and c.used_at < ${endedBefore}::timestamptz)
            or (s.state in ('EXPIRED', 'CANCELLED', 'FAILED', 'DENIED') and coalesce(s.ended_at, s.updated_at) < ${endedBefore}::timestamptz)
         limit ${batch})
      returning id`);
    deleted += rows.length;
    if (rows.length < batch) break;
  }
  if (deleted > 0) await recordAudit(deps.db, systemActor(null, 'purge-claims'), { action: 'CLAIMS_PURGED', targetType: 'claim', details: { deleted } });
  return deleted;
}
