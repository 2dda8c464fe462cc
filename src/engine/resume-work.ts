import { sql } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { EngineDeps } from './deps.ts';
import { settleStragglers } from './settle-sessions.ts';

/**
 * Run when a worker starts: queues a sync of every resource with unfinished work — an intent
 * recorded before a provider call that never reported back (entry ADDING or REMOVING), or rules
* still waiting to be applied or released, and settles sessions whose rules are done but whose
 * state never moved (a sync that died between the two). After a crash this repairs in seconds what the sweep
 * would only notice after a minute. Only queues jobs (deduplicated per resource). Returns how
 * many resources were queued.
 */
export async function resumeUnfinishedWork(deps: EngineDeps): Promise<number> {
  await settleStragglers(deps, { idleForMs: 0 });
  return transaction(deps.db, async (tx) => {
    const rows = await tx.execute<{ resource_id: string }>(sql`
      select resource_id from resource_entries where state <> 'PRESENT'
      union
      select r.resource_id from session_rules r join sessions s on s.id = r.session_id
      where r.state = 'REMOVING' or (r.state = 'PENDING' and s.state in ('PENDING', 'ACTIVE', 'PARTIAL'))
      order by 1`);
    const ids = rows.map((r) => r.resource_id);
    await deps.jobs.syncResources(tx, ids);
    return ids.length;
  });
}
