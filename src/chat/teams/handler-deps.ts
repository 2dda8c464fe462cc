import { randomUUID } from 'node:crypto';
import { chatActor, refuseChatUser, resolveChatUser } from '../../engine/chat-identity.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { UserRow } from '../../engine/users.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { buttonAttempt, commandAttempt } from '../shared/attempt.ts';
import { TEAMS_LIMITS, teamsText } from './escape.ts';
import type { TeamsTransport } from './transport/adapter.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { tenantOf, type InboundActivity } from './types.ts';

/** Local mode only: the tenant assumed when the Playground / Emulator sends none (bind it in the org file). */
export const LOCAL_TENANT = '00000000-0000-0000-0000-000000000000';

/** What the message and card handlers need. */
export interface TeamsHandlerDeps {
  engine: EngineDeps;
  logger: Logger;
  transport: TeamsTransport;
  /** Claim links are PUBLIC_URL/c/<token>. */
  publicUrl: string;
  claimTtlSeconds: number;
}

export interface TeamsMe {
  user: UserRow;
  actor: ReturnType<typeof chatActor>;
  tenantId: string;
}

/**
 * The EntryGuard user behind a Teams account: the tenant finds the org (chat_workspaces), then
 * the AAD object id a known mapping (org file or earlier match), else the member's email from
 * the connector. Unknown tenant, person or disabled user → AppError with a clear message.
 */
export async function identify(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<TeamsMe> {
  const tenantId = tenantOf(a) ?? (deps.transport.authEnabled ? undefined : LOCAL_TENANT);
  // Local mode (Playground / Emulator) may omit the AAD id; a real Teams channel always sends it.
  const aad = a.from.aadObjectId ?? (deps.transport.authEnabled ? undefined : a.from.id);
  const attempt = attemptOf(turn, a);
  if (!tenantId || !aad) {
    const err = new AppError('USER_NOT_FOUND', 'EntryGuard cannot tell who you are here: use it from Microsoft Teams in your organization.');
    return refuseChatUser(deps.engine.db, { platform: 'teams', workspaceId: tenantId ?? '', userId: aad ?? a.from.id, attempt }, err);
  }
  const user = await resolveChatUser(deps.engine.db, { platform: 'teams', workspaceId: tenantId, userId: aad, lookupEmail: () => turn.senderEmail(), attempt }).catch((err: unknown) => {
    // The admin needs the tenant id to bind it (org file teams.tenantIds); the user only sees the refusal.
    if (isAppError(err) && err.code === 'ORG_NOT_FOUND') deps.logger.warn({ tenantId }, 'teams: a tenant that is not bound to an organization used the bot');
    throw err;
  });
  return { user, actor: chatActor(user, 'teams'), tenantId };
}

/** What the activity tried, for the audit of a refusal: a card button's verb, the app being added, or the command's first word. */
function attemptOf(turn: TeamsTurn, a: InboundActivity): string {
  if (a.type === 'conversationUpdate') return 'install';
  const value = a.value as { verb?: unknown; action?: { verb?: unknown } } | undefined;
  const verb = value?.action?.verb ?? value?.verb;
  if (a.type === 'invoke' || typeof verb === 'string') return buttonAttempt(typeof verb === 'string' ? verb : a.name);
  return commandAttempt(turn.text);
}

/** Engine messages worded for another platform, in Teams' words (Teams has tenants, not workspaces). */
const TEAMS_WORDS: Record<string, string> = {
  ORG_NOT_FOUND: 'Your Microsoft Teams organization is not connected to EntryGuard. Ask an admin.',
};

/** A refusal shows the engine's user message; anything else a generic line with a reference to the log. */
export function errorText(deps: Pick<TeamsHandlerDeps, 'logger'>, err: unknown): string {
  if (isAppError(err)) return `⚠️ ${teamsText(TEAMS_WORDS[err.code] ?? err.userMessage, TEAMS_LIMITS.reason)}`;
  const ref = randomUUID().slice(0, 8);
  deps.logger.error({ err, ref }, 'teams: handler failed');
  return `❌ Something went wrong on our side (reference ${ref}). Please try again.`;
}
