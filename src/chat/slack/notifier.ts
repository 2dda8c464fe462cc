import { loadChatSessionContext, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { loadMessageRefs, loadSessionOrigin, saveMessageRef, updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { ChatRetryLater, type ChatNotifier, type SessionEvent } from '../../engine/ports.ts';
import type { Logger } from '../../shared/logger.ts';
import { approvalCard } from './blocks/approval-card.ts';
import { sessionCard } from './blocks/session-card.ts';
import { slackErrorCode, slackRetryAfterMs, type SlackClients } from './clients.ts';
import { askApprovers } from '../shared/ask-approvers.ts';
import { CANNOT_POST_THERE, goneKind, hashOf, post, postOrDm, stateOf, syncMessage, type SyncTarget } from './message-sync.ts';
import { SlackOrigin } from './origin.ts';
import { threadReplies, unreachableApproversReply, warningReply, type ThreadReply } from './threads.ts';

type NotifierDeps = { db: EngineDeps['db']; clients: SlackClients; logger?: Logger };

/**
 * The Slack side of notify_session. Renders the session's current state, so a retry or a late
 * event is harmless. Any Slack failure is thrown: a 429 as ChatRetryLater (the job comes back
 * after Slack's Retry-After), 5xx and ok:false as they are (the job retries with backoff); and
 * because the last rendering sent is remembered only after Slack took it, the retry still sends
 * the update. A tracked message that is gone is posted again instead (message-sync.ts).
 */
export function createSlackNotifier(deps: NotifierDeps): ChatNotifier {
  return {
    platform: 'slack',
    async notify(sessionId: string, event: SessionEvent) {
      try {
        await notifySlack(deps, sessionId, event);
      } catch (err) {
        const wait = slackRetryAfterMs(err);
        if (wait !== undefined) throw new ChatRetryLater(wait, `Slack rate limit: retry after ${wait / 1000} s`, { cause: err });
        throw err;
      }
    },
  };
}

async function notifySlack(deps: NotifierDeps, sessionId: string, event: SessionEvent): Promise<void> {
  const { db } = deps;
  const ctx = await loadChatSessionContext(db, sessionId, 'slack');
  if (!ctx) return;
  const parsed = SlackOrigin.safeParse(await loadSessionOrigin(db, sessionId));
  const origin = parsed.success ? parsed.data : undefined;
  const teamId = origin?.teamId ?? ctx.workspaceIds[0];
  if (!teamId) return; // the org has no Slack workspace: nothing to tell here
  const client = await deps.clients.forTeam(teamId);
  const refs = await loadMessageRefs(db, sessionId, 'slack');
  const target: SyncTarget = { db, client, logger: deps.logger, dmUser: origin?.userId };
  // The requester's card first: a failing approval channel must not hold it back.
  let card = origin && ctx.view.origin === 'slack' ? await syncSessionCard(target, ctx, refs, origin) : undefined;
  if (card) card = await postThreadReplies(target, ctx, card, threadReplies(ctx, event));
  const approvers = await syncApprovalCards({ ...target, dmUser: undefined }, ctx, refs, teamId);
  if (card && approvers.unreachable.length) await postThreadReplies(target, ctx, card, [unreachableApproversReply(ctx, approvers.unreachable)]);
}

async function syncApprovalCards(t: SyncTarget, ctx: ChatSessionContext, refs: ChatMessageRef[], teamId: string): Promise<{ unreachable: string[] }> {
  const cards = refs.filter((r) => r.kind === 'approval_card');
  const asked = await askApprovers(ctx, 'slack', cards, async (channel, role) => {
    const rendered = approvalCard(ctx, role);
    const res = await post(t.client, channel, rendered).catch((err: unknown) => {
      // A misconfigured channel (bot not invited, archived) will not heal by retrying; say so and go on.
      if (!CANNOT_POST_THERE.has(slackErrorCode(err) ?? '')) throw err;
      t.logger?.warn({ channel, sessionId: ctx.view.id, role: role.roleName, error: slackErrorCode(err) }, 'slack: cannot post the approval request in this channel; invite the bot');
      return undefined;
    });
    if (!res) return false;
    await saveMessageRef(t.db, {
      sessionId: ctx.view.id,
      approvalId: role.id,
      platform: 'slack',
      kind: 'approval_card',
      // Remembered as configured (not the id Slack answers with) so the next run finds it.
      channel,
      messageId: res.ts,
      conversationRef: { teamId, hash: hashOf(rendered), posted: [], postedTo: res.channel },
    });
    return true;
  });
  // Each card shows its own role's part; a card from before per-role approvals shows the first role's.
  for (const card of cards) {
    const role = ctx.approvals.find((a) => a.id === card.approvalId) ?? ctx.approvals[0];
    if (role) await syncMessage(t, card, approvalCard(ctx, role), { channel: postedTo(card) });
  }
  return asked;
}

const postedTo = (ref: ChatMessageRef): string => {
  const to = (ref.conversationRef as { postedTo?: unknown } | null)?.postedTo;
  return typeof to === 'string' ? to : ref.channel;
};

/**
 * The requester's card: edited in place, or posted — privately (their DM) unless the session was
 * started in a channel of an org that turned `chat.channelCards` on (issue 11, point 11: the card
 * shows their email and address).
 */
async function syncSessionCard(t: SyncTarget, ctx: ChatSessionContext, refs: ChatMessageRef[], origin: SlackOrigin): Promise<ChatMessageRef> {
  const rendered = sessionCard(ctx);
  const existing = refs.find((r) => r.kind === 'session_card');
  if (existing) return syncMessage(t, existing, rendered);
  const inChannel = !origin.isDm && ctx.channelCards;
  const res = await postOrDm(t.client, inChannel ? origin.channelId : origin.userId, origin.userId, rendered);
  return saveMessageRef(t.db, {
    sessionId: ctx.view.id,
    platform: 'slack',
    kind: 'session_card',
    channel: res.channel,
    messageId: res.ts,
    conversationRef: { teamId: origin.teamId, hash: hashOf(rendered), posted: [], live: {} },
  });
}

/**
 * Posts each reply not yet posted (keys remembered on the card's ref) in the card's thread, in
 * order, and brings replies with controls (the expiry warning) up to date. A card found gone is
 * posted again and the replies follow in its new thread. Returns the card's ref (moved or not).
 */
async function postThreadReplies(t: SyncTarget, ctx: ChatSessionContext, card: ChatMessageRef, replies: ThreadReply[]): Promise<ChatMessageRef> {
  for (const reply of replies) {
    const state = stateOf(card);
    if (state.posted.includes(reply.key) || !card.messageId) continue;
    const rendered = { text: reply.text, blocks: reply.blocks ?? [] };
    let res: { ts: string };
    try {
      res = await post(t.client, card.channel, rendered, card.messageId);
    } catch (err) {
      if (!goneKind(err)) throw err;
      // The card was deleted (or its channel): post it again, then this reply in its new thread.
      card = await syncMessage(t, { ...card, conversationRef: { ...state, hash: undefined } }, sessionCard(ctx));
      res = await post(t.client, card.channel, rendered, card.messageId!);
    }
    // Remembered right after each post: a failure later in the list re-posts only what is missing.
    const next = stateOf(card);
    next.posted.push(reply.key);
    if (reply.live) next.live[reply.key] = { ts: res.ts, hash: hashOf(rendered) };
    card.conversationRef = { ...(card.conversationRef ?? {}), ...next };
    await updateMessageRef(t.db, card.id, { conversationRef: card.conversationRef });
  }
  await refreshLiveReplies(t, ctx, card);
  return card;
}

/** Re-renders each posted reply that carries controls for the session as it is now, and edits it when that changed. */
async function refreshLiveReplies(t: SyncTarget, ctx: ChatSessionContext, card: ChatMessageRef): Promise<void> {
  const state = stateOf(card);
  for (const [key, posted] of Object.entries(state.live)) {
    const now = warningReply(ctx, key);
    if (!now) continue;
    const rendered = { text: now.text, blocks: now.blocks ?? [] };
    const hash = hashOf(rendered);
    if (hash === posted.hash) continue;
    try {
      await t.client.chat.update({ channel: card.channel, ts: posted.ts, text: rendered.text, blocks: rendered.blocks as never });
      state.live[key] = { ts: posted.ts, hash };
    } catch (err) {
      if (!goneKind(err)) throw err;
      delete state.live[key]; // deleted by someone: nothing left to keep up to date
    }
    card.conversationRef = { ...(card.conversationRef ?? {}), ...state };
    await updateMessageRef(t.db, card.id, { conversationRef: card.conversationRef });
  }
}
