import type { Task } from 'graphile-worker';
import type { EngineDeps } from '../../engine/deps.ts';
import { reconcileAll, sweepOverdue, verifyAll } from '../../engine/sweep.ts';

/** sweep_overdue (every minute): overdue expiries and approvals, stuck syncs. */
export function createSweepTask(deps: EngineDeps): Task {
  return async (_payload, helpers) => {
    const report = await sweepOverdue(deps);
    if (report.expired || report.approvalsTimedOut || report.resourcesResynced) helpers.logger.info(`sweep: ${JSON.stringify(report)}`);
  };
}

/** reconcile_all (every few minutes): a reconcile job per active resource. */
export function createReconcileAllTask(deps: EngineDeps): Task {
  return async () => {
    await reconcileAll(deps);
  };
}

/** verify_all (every half hour): a verify job per resource, so broken credentials show up early. */
export function createVerifyAllTask(deps: EngineDeps): Task {
  return async () => {
    await verifyAll(deps);
  };
}
