import type { ChatPlatform } from '../../engine/chat-identity.ts';
import type { ChatSessionContext } from '../../engine/chat-session-context.ts';

/**
 * Posts a pending request's approval card in each of the platform's approval channels that has
 * none yet. `post` does the posting for one channel and answers false when the channel refused it
 * (a misconfiguration retrying will not heal; the caller logs it) — any other failure is thrown.
 * `nobodyAsked`: every channel here refused, none was asked before, and the other platform has no
 * channel either, so no approver anywhere knows of the request.
 */
export async function askApprovers(
  ctx: ChatSessionContext,
  platform: ChatPlatform,
  askedAlready: readonly string[],
  post: (channel: string) => Promise<boolean>,
): Promise<{ nobodyAsked: boolean }> {
  let refused = 0;
  let posted = 0;
  if (ctx.view.approval?.status === 'PENDING' && ctx.view.state === 'AWAITING_APPROVAL') {
    for (const channel of ctx.approvalChannels[platform]) {
      if (askedAlready.includes(channel)) continue;
      if (await post(channel)) posted++;
      else refused++;
    }
  }
  const other: ChatPlatform = platform === 'slack' ? 'teams' : 'slack';
  return { nobodyAsked: refused > 0 && posted === 0 && askedAlready.length === 0 && ctx.approvalChannels[other].length === 0 };
}
