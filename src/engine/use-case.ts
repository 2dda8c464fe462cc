import type { Tx } from '../db/client.ts';
import { transaction } from '../db/transaction.ts';
import { isAppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';

/**
 * Runs one use case in one transaction (run again if Postgres aborts it for a deadlock). A
 * refusal (an AppError) rolls the change back and is then audited on its own, so "denied"
 * leaves a trace but changes nothing else.
 */
export async function runUseCase<T>(
  deps: Pick<EngineDeps, 'db'>,
  actor: Actor,
  audit: { action: string; targetType?: string; targetId?: string | undefined },
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    return await transaction(deps.db, fn);
  } catch (err) {
    if (isAppError(err)) {
      await recordAudit(deps.db, actor, {
        action: audit.action,
        result: 'DENIED',
        targetType: audit.targetType,
        targetId: audit.targetId,
        details: { code: err.code, reason: err.userMessage, ...err.details },
      });
    }
    throw err;
  }
}
