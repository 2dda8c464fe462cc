import { and, eq, ne } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { sessionRules, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { loadEntitlements } from './entitlements.ts';
import { effectiveMaxMinutes, type PlanName } from './plans.ts';
import type { SessionRow } from './end-session.ts';
import { loadOrg } from './users.ts';

/**
 * The longest total length (minutes) an extension may take `session` to, by the owner's grants
 * *now*: a start's entitlement is not a promise for the whole day. The owner must still be active
 * and still be granted every resource the session holds open (else NOT_ENTITLED: the session
 * runs out as it is, and a new start opens what they may use today); the cap is the smaller of
 * the one fixed at start and the one their plan, org and roles give today.
 */
export async function currentExtendCapMinutes(tx: DbOrTx, session: SessionRow): Promise<number> {
  const refuse = () =>
    new AppError('NOT_ENTITLED', 'Your access has changed since this session started, so it cannot be extended. Start a new session.', {
      details: { ownerId: session.userId },
    });
  const [owner] = await tx.select({ isActive: users.isActive }).from(users).where(eq(users.id, session.userId));
  if (!owner?.isActive) throw refuse();
  const held = await tx
    .selectDistinct({ resourceId: sessionRules.resourceId })
    .from(sessionRules)
    .where(and(eq(sessionRules.sessionId, session.id), ne(sessionRules.state, 'REMOVED')));
  const entitlements = await loadEntitlements(tx, session.userId, { anyState: true });
  const granted = new Set(entitlements.resourceIds);
  if (held.length === 0 || held.some((r) => !granted.has(r.resourceId))) throw refuse();
  const org = await loadOrg(tx, session.orgId);
  return Math.min(session.maxTotalMinutes, effectiveMaxMinutes(org.plan as PlanName, org.settings, entitlements.roleCapsHours));
}
