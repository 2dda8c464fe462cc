import { and, count, desc, eq, gte, like, lte, type SQL } from 'drizzle-orm';
import { auditEvents } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import type { Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { loadActiveUser } from './users.ts';
import { runUseCase } from './use-case.ts';
import type { DbOrTx } from '../db/client.ts';

export interface AuditQuery {
  action?: string | undefined;
  actorLabel?: string | undefined;
  targetId?: string | undefined;
  result?: 'SUCCESS' | 'DENIED' | 'FAILURE' | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  page: number;
  size: number;
}

/** The org's audit trail, newest first, for admins. Errors: FORBIDDEN. */
export async function queryAudit(deps: Pick<EngineDeps, 'db'>, actor: Actor & { userId: string; orgId: string }, q: AuditQuery) {
  return runUseCase(deps, actor, { action: 'AUDIT_READ', targetType: 'org', targetId: actor.orgId }, (tx) => readAudit(tx, actor, q));
}

async function readAudit(db: DbOrTx, actor: Actor & { userId: string; orgId: string }, q: AuditQuery) {
  const me = await loadActiveUser(db, actor.orgId, actor.userId);
  if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can read the audit log.');
  const where: SQL[] = [eq(auditEvents.orgId, me.orgId)];
  if (q.action) where.push(eq(auditEvents.action, q.action));
  // A prefix match: "alice@x" finds her API-key actions ("alice@x (api-key:…)") as well.
  if (q.actorLabel) where.push(like(auditEvents.actorLabel, `${q.actorLabel.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (q.targetId) where.push(eq(auditEvents.targetId, q.targetId));
  if (q.result) where.push(eq(auditEvents.result, q.result));
  if (q.from) where.push(gte(auditEvents.at, q.from));
  if (q.to) where.push(lte(auditEvents.at, q.to));
  const [total] = await db.select({ n: count() }).from(auditEvents).where(and(...where));
  const items = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(q.size)
    .offset(q.page * q.size);
  return { items, total: total?.n ?? 0, page: q.page, size: q.size };
}
