import { count, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { sessionRules, sessions, type EndedReason, type RuleState, type SessionState } from '../db/schema/index.ts';
import type { EngineDeps } from './deps.ts';
import { finalState } from './end-session.ts';
import { endingComplete, isHolding, stateFromRules } from './state-machine.ts';

/**
 * Re-derives each session's state from its rules (the caller holds the session locks):
 * PENDING/ACTIVE/PARTIAL follow their rules; EXPIRING ends once every rule is released.
 */
export async function settleSessions(tx: Tx, deps: Pick<EngineDeps, 'clock' | 'jobs'>, sessionIds: string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  // Counts per rule state rather than every rule: a burst settles hundreds of sessions at once.
  const rows = await tx
    .select({ id: sessions.id, state: sessions.state, reason: sessions.endedReason, rule: sessionRules.state, n: count() })
    .from(sessions)
    .innerJoin(sessionRules, eq(sessionRules.sessionId, sessions.id))
    .where(inArray(sessions.id, sessionIds))
    .groupBy(sessions.id, sessions.state, sessions.endedReason, sessionRules.state);
  const bySession = new Map<string, { state: SessionState; reason: EndedReason | null; rules: RuleState[] }>();
  for (const r of rows) {
    const entry = bySession.get(r.id) ?? { state: r.state, reason: r.reason, rules: [] };
    entry.rules.push(r.rule); // one entry per distinct rule state is all the derivation needs
    bySession.set(r.id, entry);
  }
  const now = deps.clock.now();
  for (const [id, s] of bySession) {
    let next = s.state;
    if (isHolding(s.state)) next = stateFromRules(s.state, s.rules);
    else if (s.state === 'EXPIRING' && endingComplete(s.rules)) next = finalState(s.reason);
    if (next === s.state) continue;
    await tx
      .update(sessions)
      .set({ state: next, updatedAt: now, ...(next === 'FAILED' ? { endedAt: now } : {}) })
      .where(eq(sessions.id, id));
    await deps.jobs.notifySession(tx, id, next === 'EXPIRED' || next === 'CANCELLED' || next === 'FAILED' ? 'ended' : 'state_changed');
  }
}
