import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { transaction } from '../db/transaction.ts';
import type { EndedReason, RuleState, SessionState } from '../db/schema/index.ts';
import type { EngineDeps } from './deps.ts';
import { finalState } from './end-session.ts';
import { endingComplete, isHolding, stateFromRules } from './state-machine.ts';

/**
 * Re-derives each session's state from its rules: PENDING/ACTIVE/PARTIAL follow their rules;
 * EXPIRING ends once every rule is released. Run after the rule changes committed (by each sync
 * of each resource), so whichever sync commits last sees every rule: no session lock is needed,
 * and syncs of different resources never wait for each other. Each move is a compare-and-set on
 * the state read, so two syncs settling one session at once move it (and tell chat) once, and a
 * stop that got there first wins. Batched: a burst settles hundreds of sessions in a few statements.
 */
export async function settleSessions(tx: DbOrTx, deps: Pick<EngineDeps, 'clock' | 'jobs'>, sessionIds: string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  const ids = JSON.stringify([...new Set(sessionIds)]);
  // One row per session and rule state: all the derivation needs.
  const rows = await tx.execute<{ id: string; state: SessionState; reason: EndedReason | null; rule: RuleState }>(sql`
    select s.id, s.state, s.ended_reason as reason, r.state as rule
    from sessions s join session_rules r on r.session_id = s.id
    where s.id in (select value::uuid from json_array_elements_text(${ids}::json))
      and s.state in ('PENDING', 'ACTIVE', 'PARTIAL', 'EXPIRING')
    group by s.id, s.state, s.ended_reason, r.state`);
  const bySession = new Map<string, { state: SessionState; reason: EndedReason | null; rules: RuleState[] }>();
  for (const r of rows) {
    const entry = bySession.get(r.id) ?? { state: r.state, reason: r.reason, rules: [] };
    entry.rules.push(r.rule);
    bySession.set(r.id, entry);
  }
  const moves: { id: string; prev: SessionState; next: SessionState }[] = [];
  for (const [id, s] of bySession) {
    const next = isHolding(s.state) ? stateFromRules(s.state, s.rules) : s.state === 'EXPIRING' && endingComplete(s.rules) ? finalState(s.reason) : s.state;
    if (next !== s.state) moves.push({ id, prev: s.state, next });
  }
  if (moves.length === 0) return;
  const now = deps.clock.now().toISOString();
  const moved = await tx.execute<{ id: string; next: SessionState }>(sql`
    update sessions s set state = m.next, updated_at = ${now}::timestamptz,
      ended_at = case when m.next = 'FAILED' then ${now}::timestamptz else s.ended_at end
    from json_to_recordset(${JSON.stringify(moves)}::json) as m(id uuid, prev text, next text)
    where s.id = m.id and s.state = m.prev
    returning s.id, m.next`);
  for (const m of moved) {
    const ended = m.next === 'EXPIRED' || m.next === 'CANCELLED' || m.next === 'FAILED';
    await deps.jobs.notifySession(tx, m.id, ended ? 'ended' : 'state_changed');
  }
}

/**
 * Sessions left on their way (PENDING, EXPIRING) with no rule waiting any more: their last sync
 * committed its rules and died before settling them. Settles them (the sweep and every worker
 * start call this). Returns how many there were.
 */
export async function settleStragglers(deps: Pick<EngineDeps, 'db' | 'clock' | 'jobs'>, opts: { idleForMs: number }): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - opts.idleForMs).toISOString();
  const rows = await deps.db.execute<{ id: string }>(sql`
    select s.id from sessions s
    where s.state in ('PENDING', 'EXPIRING') and s.updated_at <= ${before}::timestamptz
      and not exists (select 1 from session_rules r where r.session_id = s.id and r.state in ('PENDING', 'REMOVING'))`);
  if (rows.length === 0) return 0;
  await transaction(deps.db, (tx) => settleSessions(tx, deps, rows.map((r) => r.id)));
  return rows.length;
}
