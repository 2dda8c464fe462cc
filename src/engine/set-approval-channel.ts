import { and, eq, sql } from 'drizzle-orm';
import { approvals, roles, sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

const PLATFORM_NAME = { slack: 'Slack', teams: 'Teams' } as const;

/**
 * Makes `channel` the approval channel of a role on one platform (chat `approvals here <role>`),
 * and asks there about the requests of that role already waiting (a notification per session:
 * the notifier posts the card in the new channel). Admins only. Refused, with the reason, for a
 * role that needs no approval and for a role whose channel on this platform the org file sets (the
 * next apply would silently move it back).
 * Errors: FORBIDDEN, NOT_FOUND, VALIDATION_FAILED.
 */
export async function setApprovalChannel(
  deps: Pick<EngineDeps, 'db' | 'jobs'>,
  input: { actor: Actor & { userId: string; orgId: string }; roleName: string; platform: 'slack' | 'teams'; channel: string },
): Promise<{ waiting: number }> {
  return runUseCase(deps, input.actor, { action: 'APPROVAL_CHANNEL_SET', targetType: 'role' }, async (tx) => {
    const me = await loadActiveUser(tx, input.actor.orgId, input.actor.userId);
    if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can choose where approvals are asked.');
    const [role] = await tx
      .select()
      .from(roles)
      .where(and(eq(roles.orgId, me.orgId), eq(roles.name, input.roleName)))
      .for('update');
    if (!role) throw new AppError('NOT_FOUND', `There is no role named "${input.roleName}".`);
    if (!role.requiresApproval) {
      throw new AppError('VALIDATION_FAILED', `Role ${role.name} needs no approval: its sessions start without one, so there is nothing to ask here.`);
    }
    const pinned = role.pinnedApprovalChannels[input.platform];
    if (pinned && pinned !== input.channel) {
      throw new AppError(
        'VALIDATION_FAILED',
        `The organization file sets where role ${role.name} is approved on ${PLATFORM_NAME[input.platform]}; change it there (a choice made here would be undone by the next apply).`,
      );
    }
    await tx
      .update(roles)
      .set({ approvalChannels: sql`${roles.approvalChannels} || ${JSON.stringify({ [input.platform]: input.channel })}::jsonb` })
      .where(eq(roles.id, role.id));
    const waiting = await tx
      .selectDistinct({ id: sessions.id })
      .from(approvals)
      .innerJoin(sessions, eq(sessions.id, approvals.sessionId))
      .where(and(eq(approvals.roleId, role.id), eq(approvals.status, 'PENDING'), eq(sessions.state, 'AWAITING_APPROVAL')));
    for (const s of waiting) await deps.jobs.notifySession(tx, s.id, 'approval_requested');
    await recordAudit(tx, input.actor, {
      action: 'APPROVAL_CHANNEL_SET',
      targetType: 'role',
      targetId: role.id,
      details: { platform: input.platform, channel: input.channel, waitingRequests: waiting.length },
    });
    return { waiting: waiting.length };
  });
}
