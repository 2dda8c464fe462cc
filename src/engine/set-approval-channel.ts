import { and, eq, sql } from 'drizzle-orm';
import { roles } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

/**
 * Makes `channel` the approval channel of a role on one platform (chat `approvals here <role>`).
 * Admins only. The org file stays the source of truth: a later apply that sets another channel wins.
 * Errors: FORBIDDEN, NOT_FOUND.
 */
export async function setApprovalChannel(
  deps: Pick<EngineDeps, 'db'>,
  input: { actor: Actor & { userId: string; orgId: string }; roleName: string; platform: 'slack' | 'teams'; channel: string },
): Promise<void> {
  await runUseCase(deps, input.actor, { action: 'APPROVAL_CHANNEL_SET', targetType: 'role' }, async (tx) => {
    const me = await loadActiveUser(tx, input.actor.orgId, input.actor.userId);
    if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can choose where approvals are asked.');
    const [role] = await tx
      .update(roles)
      .set({ approvalChannels: sql`${roles.approvalChannels} || ${JSON.stringify({ [input.platform]: input.channel })}::jsonb` })
      .where(and(eq(roles.orgId, me.orgId), eq(roles.name, input.roleName)))
      .returning({ id: roles.id });
    if (!role) throw new AppError('NOT_FOUND', `There is no role named "${input.roleName}".`);
    await recordAudit(tx, input.actor, { action: 'APPROVAL_CHANNEL_SET', targetType: 'role', targetId: role.id, details: { platform: input.platform, channel: input.channel } });
  });
}
