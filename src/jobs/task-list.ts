import type { TaskList } from 'graphile-worker';
import type { SyncDeps } from '../engine/deps.ts';
import { JOB } from './job-queue.ts';
import { createReconcileAllTask, createSweepTask, createVerifyAllTask } from './tasks/cron-tasks.ts';
import { createReconcileResourceTask, createSyncResourceTask, createVerifyResourceTask, type SyncObserver } from './tasks/resource-tasks.ts';
import { createApprovalTimeoutTask, createExpireSessionTask } from './tasks/session-tasks.ts';
import type { ChatNotifier } from '../engine/ports.ts';
import { createExpiryWarningTask, createNotifySessionTask } from './tasks/notify-tasks.ts';
import { createPurgeClaimsTask, PURGE_CLAIMS } from './tasks/purge-claims-task.ts';

export interface TaskListOptions {
  observeSync?: SyncObserver;
  /** The chat platforms to keep up to date; none when no platform is configured. */
  notifiers?: ChatNotifier[];
  /** Told of each notification a platform failed to take (for /metrics). */
  onNotifyFailure?: (platform: string) => void;
}

export function createTaskList(deps: SyncDeps, opts: TaskListOptions = {}): TaskList {
  const tasks: TaskList = {
    [JOB.syncResource]: createSyncResourceTask(deps, opts.observeSync),
    [JOB.reconcileResource]: createReconcileResourceTask(deps, opts.observeSync),
    [JOB.expireSession]: createExpireSessionTask(deps),
    [JOB.approvalTimeout]: createApprovalTimeoutTask(deps),
    [JOB.sweep]: createSweepTask(deps),
    [JOB.reconcileAll]: createReconcileAllTask(deps),
    [JOB.verifyResource]: createVerifyResourceTask(deps),
    [JOB.verifyAll]: createVerifyAllTask(deps),
    [PURGE_CLAIMS]: createPurgeClaimsTask(deps),
  };
  if (opts.notifiers?.length) {
    tasks[JOB.notifySession] = createNotifySessionTask(opts.notifiers, opts.onNotifyFailure);
    tasks[JOB.expiryWarning] = createExpiryWarningTask(deps);
  }
  return tasks;
}

/** Every minute the sweep; every five minutes a reconcile of every resource; every half hour a verification; hourly the claims purge. */
export const CRONTAB = [`* * * * * ${JOB.sweep}`, `*/5 * * * * ${JOB.reconcileAll}`, `*/30 * * * * ${JOB.verifyAll}`, `17 * * * * ${PURGE_CLAIMS}`].join('\n');
