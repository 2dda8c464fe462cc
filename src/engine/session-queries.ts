import { AppError } from '../shared/errors.ts';
import { actsAsApprover, actsAsSessionAdmin, type UserActor } from './powers.ts';
import type { EngineDeps } from './deps.ts';
import { loadSessionViews, type SessionView } from './session-view.ts';
import { LIVE_STATES } from './state-machine.ts';
import { loadActiveUser } from './users.ts';
import { approvals, roleApprovers, type SessionState } from '../db/schema/index.ts';
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { runUseCase } from './use-case.ts';


/**
 * One session, for its owner, an org admin or one of its approvers (each as far as the actor's
 * credential carries that power: see powers.ts). Reading is not audited; a refusal is.
 * Errors: SESSION_NOT_FOUND (also for someone else's, so ids cannot be probed).
 */
export async function getSession(deps: Pick<EngineDeps, 'db'>, actor: UserActor, sessionId: string): Promise<SessionView> {
  return runUseCase(deps, actor, { action: 'SESSION_VIEW', targetType: 'session', targetId: sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const [view] = /^[0-9a-f-]{36}$/i.test(sessionId) ? await loadSessionViews(tx, { orgId: me.orgId, ids: [sessionId] }) : [];
    const allowed = view && (view.userId === me.id || actsAsSessionAdmin(me, actor) || (actsAsApprover(actor) && (await isApproverOf(tx, me.id, view.id))));
    if (!view || !allowed) {
      throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    }
    return view;
  });
}

/** The actor's own sessions, newest first; `live` keeps only those still running or waiting. */
export async function listMySessions(deps: Pick<EngineDeps, 'db'>, actor: UserActor, opts: { live?: boolean; limit?: number } = {}): Promise<SessionView[]> {
  const me = await loadActiveUser(deps.db, actor.orgId, actor.userId);
  return loadSessionViews(deps.db, { orgId: me.orgId, userId: me.id, states: opts.live ? [...LIVE_STATES, 'EXPIRING'] : undefined, limit: opts.limit });
}

/** Every session of the org (admins only); live ones by default. Errors: FORBIDDEN. */
export async function listOrgSessions(
  deps: Pick<EngineDeps, 'db'>,
  actor: UserActor,
  opts: { states?: SessionState[]; limit?: number } = {},
): Promise<SessionView[]> {
  return runUseCase(deps, actor, { action: 'SESSION_LIST_ALL', targetType: 'org', targetId: actor.orgId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    if (!actsAsSessionAdmin(me, actor)) throw new AppError('FORBIDDEN', 'Only an admin can list every session.');
    return loadSessionViews(tx, { orgId: me.orgId, states: opts.states ?? [...LIVE_STATES, 'EXPIRING'], limit: opts.limit ?? 500 });
  });
}

/** Approvers see the requests they are asked to decide. */
async function isApproverOf(db: DbOrTx, userId: string, sessionId: string): Promise<boolean> {
  const rows = await db
    .select({ roleId: roleApprovers.roleId })
    .from(approvals)
    .innerJoin(roleApprovers, eq(roleApprovers.roleId, approvals.roleId))
    .where(and(eq(approvals.sessionId, sessionId), eq(roleApprovers.userId, userId)))
    .limit(1);
  return rows.length > 0;
}
