import { createClaim } from '../../engine/claims.ts';
import { describeStartOptions } from '../../engine/start-options.ts';
import { claimCard, type ClaimCardState } from './cards/claim-card.ts';
import { notice } from './cards/elements.ts';
import { startForm } from './cards/start-form.ts';
import type { TeamsHandlerDeps, TeamsMe } from './handler-deps.ts';
import type { TeamsOrigin } from './origin.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { isPersonal, type ConversationRef, type InboundActivity, type OutgoingMessage } from './types.ts';

/** The person's 1:1 chat with the bot: this one, or opened (Teams answers the existing one). */
export async function personalChat(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe): Promise<ConversationRef> {
  return isPersonal(a) ? turn.conversationRef() : deps.transport.openPersonal({ serviceUrl: a.serviceUrl, tenantId: me.tenantId, userId: a.from.id });
}

/**
 * Sends `msg` to the person privately: as the reply in a 1:1 chat, else in their 1:1 chat with
 * a short pointer where they asked (a channel or group chat must not show their sessions,
 * addresses or links). Returns the private message's id.
 */
export async function replyPrivately(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe, msg: OutgoingMessage, pointer: string): Promise<string | undefined> {
  if (isPersonal(a)) return turn.reply(msg);
  const personal = await personalChat(deps, turn, a, me);
  let id: string | undefined;
  await deps.transport.inConversation(personal, async (c) => void (id = await c.send(msg)));
  await turn.reply({ text: pointer });
  return id;
}

/** `start` without a duration (or the Start button): the form, privately. */
export async function sendStartForm(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe): Promise<void> {
  const options = await describeStartOptions(deps.engine.db, me.user.orgId, me.user.id);
  await replyPrivately(deps, turn, a, me, { card: startForm(options) }, 'I sent you the start form in a private chat.');
}

/**
 * A claim bound to the person, for the message `claimCardId` in their 1:1 chat (which becomes the
 * link card, and is told when the link is used). Engine errors are thrown as they are.
 */
export async function issueClaim(
  deps: TeamsHandlerDeps,
  me: TeamsMe,
  p: { a: InboundActivity; conversation: ConversationRef; personal: ConversationRef; minutes: number | undefined; reason: string | undefined; claimCardId: string | undefined },
): Promise<ClaimCardState> {
  const originContext: TeamsOrigin = {
    tenantId: me.tenantId,
    serviceUrl: p.a.serviceUrl,
    userId: p.a.from.id,
    conversation: p.conversation,
    personal: p.personal,
    ...(p.claimCardId ? { claimCard: { activityId: p.claimCardId } } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
  };
  // The reason is recorded on the claim and its session (engine/reason.ts); originContext keeps a
  // copy so the Teams cards can show it before the session exists.
  const claim = await createClaim(deps.engine, {
    orgId: me.user.orgId,
    userId: me.user.id,
    durationMinutes: p.minutes,
    reason: p.reason,
    origin: 'teams',
    originContext,
    ttlSeconds: deps.claimTtlSeconds,
    actor: me.actor,
  });
  const url = `${deps.publicUrl.replace(/\/$/, '')}/c/${claim.token}`;
  return { status: 'valid', url, token: claim.token, minutes: claim.durationMinutes, expiresAt: claim.expiresAt, userId: p.a.from.id };
}

/**
 * `start 2h [reason]`: a placeholder in the 1:1 chat first, so the link's message is known to
 * the claim (and can say "used" later); then the link, or why not, in that same message.
 * `refusal` turns an engine error into what the person reads (rethrows what it cannot).
 */
export async function startTyped(
  deps: TeamsHandlerDeps,
  turn: TeamsTurn,
  a: InboundActivity,
  me: TeamsMe,
  p: { minutes: number; reason: string | undefined; refusal: (err: unknown) => Promise<OutgoingMessage> },
): Promise<void> {
  const personal = await personalChat(deps, turn, a, me);
  const placeholder: OutgoingMessage = { card: notice('Preparing your link…') };
  let id: string | undefined;
  if (isPersonal(a)) id = await turn.reply(placeholder);
  else await deps.transport.inConversation(personal, async (c) => void (id = await c.send(placeholder)));
  let final: OutgoingMessage;
  try {
    final = { card: claimCard(await issueClaim(deps, me, { a, conversation: turn.conversationRef(), personal, minutes: p.minutes, reason: p.reason, claimCardId: id })) };
  } catch (err) {
    final = await p.refusal(err);
  }
  if (id) {
    const messageId = id;
    await deps.transport.inConversation(personal, async (c) => c.update(messageId, final));
  } else {
    await deps.transport.inConversation(personal, async (c) => void (await c.send(final)));
  }
  if (!isPersonal(a)) await turn.reply({ text: 'I sent you the link to confirm your IP in a private chat.' });
}
