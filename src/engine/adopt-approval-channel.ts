import { and, asc, eq, sql } from 'drizzle-orm';
import { roles } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

export interface AdoptedApprovalChannel {
  /** Roles whose approval requests will now be posted in the channel. */
  adopted: string[];
  /** Roles that need approval but already had a channel on this platform (left where they are). */
  keptElsewhere: string[];
}

/**
 * An admin added the bot to a team channel: it becomes the approval channel, on that platform, of
 * every role that needs approval and has none there yet. A channel already chosen (by the org file
 * or `approvals here`) never moves, so installing the app somewhere else cannot redirect requests
 * to people who must not see them. Admins only. Errors: FORBIDDEN.
 */
export async function adoptApprovalChannel(
  deps: Pick<EngineDeps, 'db'>,
  input: { actor: Actor & { userId: string; orgId: string }; platform: 'slack' | 'teams'; channel: string },
): Promise<AdoptedApprovalChannel> {
  return runUseCase(deps, input.actor, { action: 'APPROVAL_CHANNEL_SET', targetType: 'role' }, async (tx) => {
    const me = await loadActiveUser(tx, input.actor.orgId, input.actor.userId);
    if (!me.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can choose where approvals are asked.');
    // Locked, so a concurrent `approvals here` or org-file apply is not overwritten by a stale read.
    const candidates = await tx
      .select({ id: roles.id, name: roles.name, channels: roles.approvalChannels })
      .from(roles)
      .where(and(eq(roles.orgId, me.orgId), eq(roles.requiresApproval, true)))
      .orderBy(asc(roles.name))
      .for('update');
    const result: AdoptedApprovalChannel = { adopted: [], keptElsewhere: [] };
    for (const role of candidates) {
      const current = role.channels[input.platform];
      if (current === input.channel) continue;
      if (current) {
        result.keptElsewhere.push(role.name);
        continue;
      }
      await tx
        .update(roles)
        .set({ approvalChannels: sql`${roles.approvalChannels} || ${JSON.stringify({ [input.platform]: input.channel })}::jsonb` })
        .where(eq(roles.id, role.id));
      await recordAudit(tx, input.actor, {
        action: 'APPROVAL_CHANNEL_SET',
        targetType: 'role',
        targetId: role.id,
        details: { platform: input.platform, channel: input.channel, automatic: true },
      });
      result.adopted.push(role.name);
    }
    return result;
  });
}
