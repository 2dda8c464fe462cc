import { and, eq, exists, like, or, sql, type SQL } from 'drizzle-orm';
import { approvals, roleApprovers, sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import type { EngineDeps } from './deps.ts';
import { actsAsApprover, actsAsSessionAdmin, type UserActor } from './powers.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What chat accepts for an id too (command-parse.ts): 4 or more leading characters. */
const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,34}$/i;
/** An ambiguous prefix lists at most this many of its matches. */
const MAX_LISTED = 10;

/**
 * The full id a caller means by `ref`: a full session id as given, or a unique prefix (the 8
 * characters chat shows) of a session the actor may read — their own; any in the org as an admin
 * using that power; a request asked of them as an approver (the same as getSession). Other
 * sessions never match, so a prefix cannot reveal that they exist. Refusals are audited under
 * `action`, the use case the caller was attempting.
 * Errors: SESSION_NOT_FOUND, AMBIGUOUS_SESSION_ID (details.matchingIds: the full ids, up to 10).
 */
export async function resolveSessionRef(deps: Pick<EngineDeps, 'db'>, actor: UserActor, ref: string, action: string): Promise<string> {
  if (FULL_ID.test(ref)) return ref.toLowerCase();
  return runUseCase(deps, actor, { action, targetType: 'session', targetId: ref.slice(0, 36) }, async (tx) => {
    if (!ID_PREFIX.test(ref)) throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const visible: SQL[] = [eq(sessions.userId, me.id)];
    if (actsAsSessionAdmin(me, actor)) visible.push(sql`true`);
    if (actsAsApprover(actor)) {
      const asked = tx
        .select({ one: sql`1` })
        .from(approvals)
        .innerJoin(roleApprovers, eq(roleApprovers.roleId, approvals.roleId))
        .where(and(eq(approvals.sessionId, sessions.id), eq(roleApprovers.userId, me.id)));
      visible.push(exists(asked));
    }
    const rows = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.orgId, me.orgId), like(sql`${sessions.id}::text`, `${ref.toLowerCase()}%`), or(...visible)))
      .orderBy(sessions.id)
      .limit(MAX_LISTED + 1);
    if (rows.length === 1) return rows[0]!.id;
    if (rows.length === 0) throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    const ids = rows.slice(0, MAX_LISTED).map((r) => r.id);
    const more = rows.length > MAX_LISTED ? ' and more' : '';
    throw new AppError('AMBIGUOUS_SESSION_ID', `More than one session starts with "${ref}": ${ids.join(', ')}${more}. Give more of the id.`, {
      details: { matchingIds: ids },
    });
  });
}
