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
    const t0 = performance.now();
    const report = await syncResource(deps, resourceId, { attempt });
    observe?.(resourceId, report, performance.now() - t0);
  };
}

/** reconcile_resource: the same sync, against what the provider really holds. */
export function createReconcileResourceTask(deps: SyncDeps, observe?: SyncObserver): Task {
  return async (payload) => {
    const { resourceId } = ReconcilePayload.parse(payload);
    const t0 = performance.now();
    const report = await syncResource(deps, resourceId, { reconcile: true });
    observe?.(resourceId, report, performance.now() - t0);
  };
}

/** verify_resource: is the target reachable and may we change it? */
export function createVerifyResourceTask(deps: SyncDeps): Task {
  return async (payload) => {
    const { resourceId } = ReconcilePayload.parse(payload);
    await verifyResource(deps, resourceId);
  };
}
