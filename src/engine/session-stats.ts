import { count, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { sessions, type SessionState } from '../db/schema/index.ts';
import { LIVE_STATES } from './state-machine.ts';

/** The states worth a gauge: those still running or waiting. Ended states only ever grow. */
export const COUNTED_STATES: readonly SessionState[] = [...LIVE_STATES, 'EXPIRING'];

/**
 * How many sessions are in each live or ending state, across all organizations (for /metrics).
 * Every counted state is present, with 0 when there is none, so a gauge drops back to zero.
 */
export async function countSessionsByState(db: DbOrTx): Promise<Record<string, number>> {
  const rows = await db
    .select({ state: sessions.state, n: count() })
    .from(sessions)
    .where(inArray(sessions.state, [...COUNTED_STATES]))
    .groupBy(sessions.state);
  const counts: Record<string, number> = Object.fromEntries(COUNTED_STATES.map((s) => [s, 0]));
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}
