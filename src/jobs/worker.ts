import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, parseCrontab, run, runOnce, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { Logger } from '../shared/logger.ts';
import { CRONTAB } from './task-list.ts';
import { startWorkerLiveness, type WorkerLiveness } from './worker-liveness.ts';

export interface WorkerOptions {
  connectionString: string;
  taskList: TaskList;
  logger: Logger;
  concurrency?: number;
  /** Periodic jobs (sweep, reconcile); off in tests, which run them explicitly. */
  cron?: boolean;
  pollIntervalMs?: number;
  /** How often liveness is proven and dead workers' locks are released (tests shorten it). */
  heartbeatMs?: number;
}

export interface Worker {
  liveness: WorkerLiveness;
  /** Whether a graphile-worker runner is up now (false while one that died is being replaced). */
  alive(): boolean;
  /** Drains running jobs (their completion recorded), then deregisters this process. */
  stop(): Promise<void>;
}

const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * Starts graphile-worker in this process, registered as a live worker (worker-liveness.ts): before
 * taking any job it releases what dead workers left locked, and keeps doing so every few seconds.
 * graphile-worker stops its pool for good when it cannot record completions for a while (a long
 * database outage): the pool is then replaced, and what it had locked released at once, so the
 * process keeps working once the database is back instead of idling with its queues locked.
 */
export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const concurrency = opts.concurrency ?? 4;
  const liveness = await startWorkerLiveness({ url: opts.connectionString, logger: opts.logger, heartbeatMs: opts.heartbeatMs });
  let launching: string[] = [];
  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => {
    launching.push(workerPool.id);
    void liveness.addPool(workerPool.id).catch((err: unknown) => opts.logger.warn({ err }, 'could not register a worker pool'));
  });
  const launch = async (): Promise<{ runner: Runner; pools: string[] }> => {
    launching = [];
    const runner = await run({
      connectionString: opts.connectionString,
      concurrency,
      maxPoolSize: Math.max(10, concurrency + 2),
      noHandleSignals: true,
      pollInterval: opts.pollIntervalMs ?? 1000,
      taskList: opts.taskList,
      parsedCronItems: opts.cron === false ? [] : parseCrontab(CRONTAB),
      logger: toWorkerLogger(opts.logger),
      events,
      // Batched (even with no delay) so that a graceful stop waits for them: graphile-worker
      // records an unbatched completion without awaiting it, and a SIGTERM then exits with the
      // finished job, and its queue, still locked.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    return { runner, pools: launching };
  };

  let current: { runner: Runner; pools: string[] } | undefined;
  let stopping = false;
  let replacing: Promise<void> = Promise.resolve();
  const watch = (w: { runner: Runner; pools: string[] }) => {
    const ended = (err?: unknown) => {
      if (stopping || current !== w) return;
      current = undefined;
      opts.logger.error({ err }, 'the worker pool stopped unexpectedly; releasing its jobs and starting a new one');
      replacing = replace(w.pools);
    };
    w.runner.promise.then(() => ended(), ended);
  };
  const replace = async (deadPools: string[]) => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await liveness.retirePools(deadPools);
        current = await launch();
        watch(current);
        opts.logger.info('a new worker pool is running');
        return;
      } catch (err) {
        const delay = RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]!;
        opts.logger.warn({ err }, `could not start a new worker pool; trying again in ${delay / 1000} s`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  try {
    current = await launch();
  } catch (err) {
    await liveness.stop();
    throw err;
  }
  watch(current);
  return {
    liveness,
    alive: () => current !== undefined,
    async stop() {
      stopping = true;
      await replacing;
      await current?.runner.stop();
      await liveness.stop();
    },
  };
}

/** Runs every job that is due now, until none is left; for tests and one-shot maintenance. */
export async function runDueJobs(opts: Pick<WorkerOptions, 'connectionString' | 'taskList' | 'logger'>): Promise<void> {
  await runOnce({ connectionString: opts.connectionString, taskList: opts.taskList, logger: toWorkerLogger(opts.logger) });
}

/**
 * graphile-worker logs through our pino logger. A job that completed is routine: debug, one short
 * line. Its meta is cut to what helps (job id, attempts, duration, the error): graphile-worker
 * passes the whole job row (payload included) and puts the stack into the message itself.
 */
export function toWorkerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const child = logger.child({ component: 'worker', ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}), ...(scope.jobId ? { jobId: scope.jobId } : {}) });
    const fields = workerFields(meta);
    const text = message.split('\n', 1)[0]!;
    if (level === 'error') child.error(fields, text);
    else if (level === 'warning') child.warn(fields, text);
    else if (level === 'info' && !(meta as { success?: unknown } | undefined)?.success) child.info(fields, text);
    else child.debug(fields, text);
  });
}

function workerFields(meta: unknown): Record<string, unknown> {
  if (!meta || typeof meta !== 'object') return {};
  const m = meta as { job?: { id?: unknown; task_identifier?: unknown; attempts?: unknown; max_attempts?: unknown }; error?: unknown; duration?: unknown };
  // Plain values are kept (counts, names); objects are not (job rows, pools, clients).
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(m).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)));
  delete fields.duration;
  if (m.job) Object.assign(fields, { jobId: m.job.id, task: m.job.task_identifier, attempt: m.job.attempts, maxAttempts: m.job.max_attempts });
  if (typeof m.duration === 'number') fields.ms = Math.round(m.duration);
  if (m.error !== undefined) fields.err = m.error;
  return fields;
}
