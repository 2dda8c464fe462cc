import { z } from 'zod';
import type { Task } from 'graphile-worker';
import type { SyncDeps } from '../../engine/deps.ts';
import { syncResource, type SyncReport } from '../../engine/sync-resource.ts';
import { verifyResource } from '../../engine/verify-resource.ts';

const SyncPayload = z.object({ resourceId: z.uuid(), attempt: z.number().int().min(0).default(0) });
const ReconcilePayload = z.object({ resourceId: z.uuid() });

/** Observes every provider call a sync makes (the benchmark and /metrics count them). */
export type SyncObserver = (resourceId: string, report: SyncReport, ms: number) => void;

/** sync_resource: converge one resource on its desired set (engine/sync-resource.ts). */
export function createSyncResourceTask(deps: SyncDeps, observe?: SyncObserver): Task {
  return async (payload) => {
    const { resourceId, attempt } = SyncPayload.parse(payload);
    await observed(deps, resourceId, observe, () => syncResource(deps, resourceId, { attempt }));
  };
}

/** reconcile_resource: the same sync, against what the provider really holds. */
export function createReconcileResourceTask(deps: SyncDeps, observe?: SyncObserver): Task {
  return async (payload) => {
    const { resourceId } = ReconcilePayload.parse(payload);
    await observed(deps, resourceId, observe, () => syncResource(deps, resourceId, { reconcile: true }));
  };
}

/** Runs a sync, reports it to the observer and logs (at debug) what changed and where the time went. */
async function observed(deps: SyncDeps, resourceId: string, observe: SyncObserver | undefined, sync: () => Promise<SyncReport>): Promise<void> {
  const t0 = performance.now();
  const report = await sync();
  const ms = performance.now() - t0;
  observe?.(resourceId, report, ms);
  if (!report.kind) return;
  const { lockMs, providerMs } = report.timings;
  deps.logger.debug(
    {
      resourceId,
      kind: report.kind,
      added: report.added.length,
      removed: report.removed.length,
      failed: report.failed.length,
      ...(report.deferred ? { deferred: true } : {}),
      ...(report.retryAt ? { retryAt: report.retryAt.toISOString() } : {}),
      ms: Math.round(ms),
      lockMs: Math.round(lockMs),
      providerMs: Math.round(providerMs),
    },
    report.deferred ? 'sync put off: another sync holds the resource' : 'sync finished',
  );
}

/** verify_resource: is the target reachable and may we change it? */
export function createVerifyResourceTask(deps: SyncDeps): Task {
  return async (payload) => {
    const { resourceId } = ReconcilePayload.parse(payload);
    await verifyResource(deps, resourceId);
  };
}
