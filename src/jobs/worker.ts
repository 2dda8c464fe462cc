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
  runner: Runner;
  liveness: WorkerLiveness;
  /** Drains running jobs (their completion recorded), then deregisters this process. */
  stop(): Promise<void>;
}

/**
 * Starts graphile-worker in this process, registered as a live worker (worker-liveness.ts): before
 * taking any job it releases what dead workers left locked, and keeps doing so every few seconds.
 */
export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const concurrency = opts.concurrency ?? 4;
  const liveness = await startWorkerLiveness({ url: opts.connectionString, logger: opts.logger, heartbeatMs: opts.heartbeatMs });
  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => {
    void liveness.addPool(workerPool.id).catch((err: unknown) => opts.logger.warn({ err }, 'could not register a worker pool'));
  });
  let runner: Runner;
  try {
    runner = await run({
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
  } catch (err) {
    await liveness.stop();
    throw err;
  }
  return {
    runner,
    liveness,
    async stop() {
      await runner.stop();
      await liveness.stop();
    },
  };
}

/** Runs every job that is due now, until none is left; for tests and one-shot maintenance. */
export async function runDueJobs(opts: Pick<WorkerOptions, 'connectionString' | 'taskList' | 'logger'>): Promise<void> {
  await runOnce({ connectionString: opts.connectionString, taskList: opts.taskList, logger: toWorkerLogger(opts.logger) });
}

/** graphile-worker logs through our pino logger, at the same levels. */
export function toWorkerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const child = logger.child({ component: 'worker', ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}), ...(scope.jobId ? { jobId: scope.jobId } : {}) });
    const fields = meta && typeof meta === 'object' ? { meta } : {};
    if (level === 'error') child.error(fields, message);
    else if (level === 'warning') child.warn(fields, message);
    else if (level === 'info') child.info(fields, message);
    else child.debug(fields, message);
  });
}
