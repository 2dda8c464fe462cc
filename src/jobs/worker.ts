import { Logger as WorkerLogger, parseCrontab, run, runOnce, type Runner, type TaskList } from 'graphile-worker';
import type { Logger } from '../shared/logger.ts';
import { CRONTAB } from './task-list.ts';

export interface WorkerOptions {
  connectionString: string;
  taskList: TaskList;
  logger: Logger;
  concurrency?: number;
  /** Periodic jobs (sweep, reconcile); off in tests, which run them explicitly. */
  cron?: boolean;
  pollIntervalMs?: number;
}

/** Starts graphile-worker in this process; `runner.stop()` drains running jobs before returning. */
export async function startWorker(opts: WorkerOptions): Promise<Runner> {
  const concurrency = opts.concurrency ?? 4;
  return run({
    connectionString: opts.connectionString,
    concurrency,
    maxPoolSize: Math.max(10, concurrency + 2),
    noHandleSignals: true,
    pollInterval: opts.pollIntervalMs ?? 1000,
    taskList: opts.taskList,
    parsedCronItems: opts.cron === false ? [] : parseCrontab(CRONTAB),
    logger: toWorkerLogger(opts.logger),
  });
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
