import type { ChatPlatform } from '../../engine/chat-identity.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../engine/chat-session-context.ts';

/** An approval card already posted: for which role's approval, in which channel. */
export interface PostedApprovalCard {
  approvalId: string | null;
  channel: string;
}

/**
 * Posts one approval card per role still waiting, in that role's approval channel on this
 * platform, unless that role's card is there already. `post` does the posting for one role and
 * answers false when the channel refused it (a misconfiguration retrying will not heal; the
 * caller logs it) — any other failure is thrown.
 * `unreachable`: roles whose channel here refused, that had no card before, and that have no
 * channel on the other platform either, so none of their approvers knows of the request.
 */
export async function askApprovers(
  ctx: ChatSessionContext,
  platform: ChatPlatform,
  posted: readonly PostedApprovalCard[],
  post: (channel: string, role: RoleApprovalContext) => Promise<boolean>,
): Promise<{ unreachable: string[] }> {
  const unreachable: string[] = [];
  if (ctx.view.state !== 'AWAITING_APPROVAL') return { unreachable };
  const other: ChatPlatform = platform === 'slack' ? 'teams' : 'slack';
  for (const role of ctx.approvals) {
    const channel = role.channels[platform];
    if (role.status !== 'PENDING' || !channel) continue;
    if (posted.some((p) => p.approvalId === role.id && p.channel === channel)) continue;
    const hadCard = posted.some((p) => p.approvalId === role.id);
    if (!(await post(channel, role)) && !hadCard && !role.channels[other]) unreachable.push(role.roleName);
  }
  return { unreachable };
}
