import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.ts';
import type { OutboxJob } from '../db/schema/index.ts';
import { transaction } from '../db/transaction.ts';
import type { Logger } from '../shared/logger.ts';

const BATCH = 1000;

/**
 * Moves one batch of queued jobs from job_outbox into graphile-worker, in one transaction (so each
 * job arrives exactly once), and returns how many outbox rows it moved. Rows another relay is
 * moving are skipped. Keyed jobs are deduplicated first: the last one asked for wins, except that
 * a job to run now beats a retry postponed to later (a sync asked for by a new session must not
 * wait for a retry's backoff). A thousand starts on the same firewalls thus become one sync job
 * per firewall.
 */
export async function relayOutbox(db: Db): Promise<number> {
  return transaction(db, async (tx) => {
    const rows = await tx.execute<{ id: number; jobs: OutboxJob[] }>(sql`
      delete from job_outbox where id in (select id from job_outbox order by id limit ${BATCH} for update skip locked)
      returning id, jobs`);
    if (rows.length === 0) return 0;
    const jobs = dedupe([...rows].sort((a, b) => Number(a.id) - Number(b.id)).flatMap((r) => r.jobs));
    await lockJobKeys(tx, jobs.map((j) => j.key));
    for (const preserve of [false, true]) await addJobs(tx, jobs.filter((j) => !!j.preserveRunAt === preserve), preserve);
    return rows.length;
  });
}

function dedupe(jobs: OutboxJob[]): OutboxJob[] {
  const byKey = new Map<string, OutboxJob>();
  const out: OutboxJob[] = [];
  for (const job of jobs) {
    if (!job.key) {
      out.push(job);
      continue;
    }
    const seen = byKey.get(job.key);
    if (seen && job.preserveRunAt && !seen.preserveRunAt) continue;
    byKey.set(job.key, job);
  }
  return [...byKey.values(), ...out];
}

/**
 * graphile-worker writes keyed job rows in an order its query plan picks (not the order given),
 * so two transactions adding the same keys can deadlock each other. A transaction-scoped advisory
 * lock per key, taken in sorted order before add_jobs, makes every writer of a key wait its turn.
 */
async function lockJobKeys(tx: DbOrTx, keys: (string | undefined)[]): Promise<void> {
  const sorted = [...new Set(keys.filter((k): k is string => !!k))].sort();
  if (sorted.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(k, 0))
    from (select k from json_array_elements_text(${JSON.stringify(sorted)}::json) as k order by k) as sorted_keys`);
}

async function addJobs(tx: DbOrTx, jobs: OutboxJob[], preserveRunAt: boolean): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map((j) => ({
    identifier: j.name,
    payload: j.payload,
    queue_name: j.queue ?? null,
    run_at: j.runAt ?? null,
    max_attempts: 25,
    job_key: j.key ?? null,
  }));
  await tx.execute(sql`select count(*) from graphile_worker.add_jobs(
    array(
      select row(x.identifier, x.payload, x.queue_name, x.run_at, x.max_attempts::smallint, x.job_key, 0::smallint, null::text[])::graphile_worker.job_spec
      from json_to_recordset(${JSON.stringify(specs)}::json)
        as x(identifier text, payload json, queue_name text, run_at timestamptz, max_attempts int, job_key text)
    ),
    ${preserveRunAt}
  )`);
}

export interface JobRelay {
  /** Moves what is queued now (call after a transaction that queued jobs committed). */
  wake(): void;
  /** Moves everything queued so far, and waits for it. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the relay in this process: at once when woken (the process's own transactions wake it as
 * they commit), and every `pollMs` for whatever another process queued and could not move (it
 * crashed right after its commit). Any number of processes may relay at once.
 */
export function startJobRelay(opts: { db: Db; logger: Logger; pollMs?: number }): JobRelay {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const drain = async (): Promise<void> => {
    do {
      again = false;
      while ((await relayOutbox(opts.db)) === BATCH && !stopped);
    } while (again && !stopped);
  };
  const kick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err: unknown) => opts.logger.warn({ err }, 'job relay failed; will try again'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void kick(), opts.pollMs ?? 1000);
  timer.unref();
  return {
    wake: () => void kick(),
    flush: async () => {
      await kick();
      if (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      stopped = false;
      await drain().catch(() => {}); // what this process queued last still goes out
      stopped = true;
    },
  };
}
