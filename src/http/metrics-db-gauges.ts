import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';

/**
 * What /metrics reads from the database at scrape time: queues and states that live in Postgres,
 * so that every web process reports the same truth whichever process did the work. Each source is
 * optional; a gauge without its source stays empty.
 */
export interface DatabaseSources {
  /** Counts by session state (engine/session-stats.ts). */
  sessionCounts?: () => Promise<Record<string, number>>;
  /** Due jobs not being worked on, by task (db/ops-stats.ts). */
  jobBacklog?: () => Promise<{ task: string; due: number; oldestDueSeconds: number }[]>;
  /** Jobs and queues locked by worker processes that are gone (db/worker-locks.ts). */
  heldByDeadWorkers?: () => Promise<{ count: number; oldestSeconds: number }>;
  /** Worker processes that proved they are alive recently. */
  liveWorkers?: () => Promise<number>;
  /** Rule removals the provider refused, being retried, by provider kind. */
  failingRemovals?: () => Promise<Record<string, number>>;
  /** Active resources whose last verification failed, by provider kind. */
  failingVerifications?: () => Promise<Record<string, number>>;
}

export interface DatabaseGauges {
  readonly sessionsByState: Gauge<'state'>;
  readonly jobsDue: Gauge<'task'>;
  readonly oldestDueJob: Gauge<'task'>;
  readonly heldByDeadWorkers: Gauge;
  readonly liveWorkers: Gauge;
  readonly removalsFailing: Gauge<'kind'>;
  readonly verificationsFailing: Gauge<'kind'>;
}

export function createDatabaseGauges(registry: Registry, sources: DatabaseSources, logger?: Logger): DatabaseGauges {
  // A scrape must still answer when the database is down: a failed read keeps the last values.
  const read = async <T>(what: string, source: (() => Promise<T>) | undefined, apply: (value: T) => void) => {
    if (!source) return;
    try {
      apply(await source());
    } catch (err) {
      logger?.warn({ err }, `could not read ${what} for /metrics`);
    }
  };
  // Labels that vanish (a task with nothing due any more) must vanish from the scrape too.
  const byLabel = <L extends string>(g: Gauge<L>, label: L, values: Record<string, number>) => {
    g.reset();
    for (const [key, n] of Object.entries(values)) g.set({ [label]: key } as Partial<Record<L, string>>, n);
  };
  const sessionsByState = new Gauge({
    name: 'entryguard_sessions',
    help: 'Sessions currently in each live or ending state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      await read('session counts', sources.sessionCounts, (counts) => byLabel(this, 'state', counts));
    },
  });
  // One query feeds both backlog gauges: prom-client starts every collect() of a scrape before
  // awaiting any, so the second joins the query the first started, which is forgotten once done.
  let backlog: Promise<{ task: string; due: number; oldestDueSeconds: number }[]> | undefined;
  const source = sources.jobBacklog;
  const backlogRows = source && (() => (backlog ??= source().finally(() => (backlog = undefined))));
  const jobsDue = new Gauge({
    name: 'entryguard_jobs_due',
    help: 'Jobs due now and not being worked on, by task (graphile-worker).',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      await read('the job backlog', backlogRows, (rows) => byLabel(this, 'task', Object.fromEntries(rows.map((r) => [r.task, r.due]))));
    },
  });
  const oldestDueJob = new Gauge({
    name: 'entryguard_job_oldest_due_seconds',
    help: 'How long the oldest job due and not being worked on has been due, by task.',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      await read('the job backlog', backlogRows, (rows) => byLabel(this, 'task', Object.fromEntries(rows.map((r) => [r.task, r.oldestDueSeconds]))));
    },
  });
  const heldByDeadWorkers = new Gauge({
    name: 'entryguard_jobs_held_by_dead_workers',
    help: 'Jobs and job queues locked by worker processes that are gone (any live worker releases them within seconds).',
    registers: [registry],
    async collect() {
      await read('work held by dead workers', sources.heldByDeadWorkers, (held) => this.set(held.count));
    },
  });
  const liveWorkers = new Gauge({
    name: 'entryguard_workers_alive',
    help: 'Worker processes that proved they are alive within the last 20 seconds.',
    registers: [registry],
    async collect() {
      await read('live workers', sources.liveWorkers, (n) => this.set(n));
    },
  });
  const removalsFailing = new Gauge({
    name: 'entryguard_rule_removals_failing',
    help: 'Firewall rules of ended sessions whose removal failed and is being retried, by provider kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      await read('failing removals', sources.failingRemovals, (counts) => byLabel(this, 'kind', counts));
    },
  });
  const verificationsFailing = new Gauge({
    name: 'entryguard_resources_verify_failing',
    help: 'Active resources whose last verification failed (new sessions skip them), by provider kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      await read('failing verifications', sources.failingVerifications, (counts) => byLabel(this, 'kind', counts));
    },
  });
  return { sessionsByState, jobsDue, oldestDueJob, heldByDeadWorkers, liveWorkers, removalsFailing, verificationsFailing };
}
