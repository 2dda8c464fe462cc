import type { EngineDeps } from '../../engine/deps.ts';
import { chatActor, resolveChatUser } from '../../engine/chat-identity.ts';
import type { UserRow } from '../../engine/users.ts';
import { isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { randomUUID } from 'node:crypto';
import { slackErrorCode, type SlackWebClient } from './clients.ts';
import { SLACK_LIMITS, slackText } from './escape.ts';

/** What the command and button listeners need; the same for HTTP and Socket Mode. */
export interface SlackHandlerDeps {
  engine: EngineDeps;
  logger: Logger;
  /** Claim links are PUBLIC_URL/c/<token>. */
  publicUrl: string;
  claimTtlSeconds: number;
}

export interface SlackMe {
  user: UserRow;
  actor: ReturnType<typeof chatActor>;
}

/**
 * The EntryGuard user behind a Slack account: a known mapping first, else the account's email
 * from users.info (needs users:read.email). Unknown, disabled or unconnected → AppError (audited
 * by the engine with `attempt`, what they tried).
 */
export async function identify(deps: SlackHandlerDeps, client: SlackWebClient, teamId: string, slackUserId: string, attempt: string): Promise<SlackMe> {
  const user = await resolveChatUser(deps.engine.db, {
    platform: 'slack',
    workspaceId: teamId,
    userId: slackUserId,
    attempt,
    lookupEmail: async () => {
      try {
        const res = await client.users.info({ user: slackUserId });
        return res.user?.profile?.email ?? undefined;
      } catch (err) {
        // An account Slack does not know is an unknown person; any other failure is ours to report.
        if (slackErrorCode(err) === 'user_not_found') return undefined;
        throw err;
      }
    },
  });
  return { user, actor: chatActor(user, 'slack') };
}

export interface Reply {
  text: string;
  blocks?: unknown[];
}

/** A refusal shows the engine's user message (escaped: it may quote what a person typed); anything else a generic line with a reference to the log. */
export function errorReply(deps: Pick<SlackHandlerDeps, 'logger'>, err: unknown): Reply {
  if (isAppError(err)) return { text: `:warning: ${slackText(err.userMessage, SLACK_LIMITS.reason)}` };
  const ref = randomUUID().slice(0, 8);
  deps.logger.error({ err, ref }, 'slack: handler failed');
  return { text: `:x: Something went wrong on our side (reference ${ref}). Please try again.` };
}
