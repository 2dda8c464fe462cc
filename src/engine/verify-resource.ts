import { eq } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import { resources } from '../db/schema/index.ts';
import { recordAudit, systemActor, type Actor } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import type { VerifyResult } from './ports.ts';
import { loadResourceTarget } from './resource-target.ts';

export interface VerifyReport extends VerifyResult {
  resourceId: string;
  name: string;
  kind: string;
  ok: boolean;
}

/**
 * Asks the provider whether a resource is reachable and changeable, and records the answer:
 * only a verified resource is opened by new sessions (running sessions keep what they have).
 * The result is audited when it changes (and every failure), not on every periodic run.
 */
export async function verifyResource(deps: SyncDeps, resourceId: string, actor?: Actor): Promise<VerifyReport | undefined> {
  const target = await loadResourceTarget(deps.db, resourceId);
  if (!target) return undefined;
  let result: VerifyResult;
  try {
    const provider = await deps.providers.get(target.kind);
    result = await provider.verify(target);
  } catch (err) {
    result = { reachable: false, permitted: false, capacityLeft: { v4: null, v6: null }, message: err instanceof Error ? err.message : String(err) };
  }
  const ok = result.reachable && result.permitted;
  const error = ok ? null : (result.message ?? (result.reachable ? 'not permitted to change this resource' : 'not reachable'));
  await transaction(deps.db, async (tx) => {
    const [before] = await tx.select({ verifiedAt: resources.verifiedAt, verifyError: resources.verifyError }).from(resources).where(eq(resources.id, resourceId)).for('update');
    await tx.update(resources).set({ verifiedAt: deps.clock.now(), verifyError: error }).where(eq(resources.id, resourceId));
    const changed = !before?.verifiedAt || before.verifyError !== error;
    if (changed || !ok) {
      await recordAudit(tx, actor ?? systemActor(target.orgId, 'verify'), {
        action: ok ? 'RESOURCE_VERIFY_OK' : 'RESOURCE_VERIFY_FAILED',
        result: ok ? 'SUCCESS' : 'FAILURE',
        targetType: 'resource',
        targetId: resourceId,
        details: { name: target.name, kind: target.kind, reachable: result.reachable, permitted: result.permitted, capacityLeft: result.capacityLeft, message: error },
      });
    }
  });
  return { ...result, resourceId, name: target.name, kind: target.kind, ok };
}
