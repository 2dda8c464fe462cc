import { createHash } from 'node:crypto';
import { z } from 'zod';
import { loadChatSessionContext, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { loadMessageRefs, loadSessionOrigin, saveMessageRef, updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { ChatRetryLater, type ChatNotifier, type SessionEvent } from '../../engine/ports.ts';
import type { Logger } from '../../shared/logger.ts';
import { approvalCard } from './blocks/approval-card.ts';
import { sessionCard } from './blocks/session-card.ts';
import { slackErrorCode, slackRetryAfterMs, type SlackClients, type SlackWebClient } from './clients.ts';
import { askApprovers } from '../shared/ask-approvers.ts';
import { SlackOrigin } from './origin.ts';
import { threadReplies, unreachableApproversReply, type ThreadReply } from './threads.ts';

/** What we remember on a message ref: the last rendering sent (to skip no-op updates) and the replies posted. */
const RefState = z.looseObject({ teamId: z.string().optional(), hash: z.string().optional(), posted: z.array(z.string()).default([]) });
type RefState = z.infer<typeof RefState>;

interface Rendered {
  text: string;
  blocks: unknown[];
}

/** Errors meaning "the bot cannot post there": the card goes to the user's DM instead. */
const CANNOT_POST_THERE = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'access_denied']);

type NotifierDeps = { db: EngineDeps['db']; clients: SlackClients; logger?: Logger };

/**
 * The Slack side of notify_session. Renders the session's current state, so a retry or a late
 * event is harmless. Any Slack failure is thrown: a 429 as ChatRetryLater (the job comes back
 * after Slack's Retry-After), 5xx and ok:false as they are (the job retries with backoff); and
 * because the last rendering sent is remembered only after Slack took it, the retry still sends
 * the update.
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
  // The requester's card first: a failing approval channel must not hold it back.
  const card = origin && ctx.view.origin === 'slack' ? await syncSessionCard(db, client, ctx, refs, origin) : undefined;
  if (card) await postThreadReplies(db, client, card, threadReplies(ctx, event));
  const approvers = await syncApprovalCards(db, client, ctx, refs, teamId, deps.logger);
  if (card && approvers.unreachable.length) await postThreadReplies(db, client, card, [unreachableApproversReply(ctx, approvers.unreachable)]);
}

const hashOf = (r: Rendered) => createHash('sha256').update(JSON.stringify(r)).digest('base64url').slice(0, 22);
const stateOf = (ref: ChatMessageRef): RefState => RefState.catch({ posted: [] }).parse(ref.conversationRef ?? {});

/** Edits a message to `rendered` unless Slack already shows exactly that. */
async function updateIfChanged(db: EngineDeps['db'], client: SlackWebClient, ref: ChatMessageRef, rendered: Rendered): Promise<void> {
  const state = stateOf(ref);
  const hash = hashOf(rendered);
  if (state.hash === hash || !ref.messageId) return;
  await client.chat.update({ channel: ref.channel, ts: ref.messageId, text: rendered.text, blocks: rendered.blocks as never });
  ref.conversationRef = { ...state, hash };
  await updateMessageRef(db, ref.id, { conversationRef: ref.conversationRef });
}

async function syncApprovalCards(
  db: EngineDeps['db'],
  client: SlackWebClient,
  ctx: ChatSessionContext,
  refs: ChatMessageRef[],
  teamId: string,
  logger?: Logger,
): Promise<{ unreachable: string[] }> {
  const cards = refs.filter((r) => r.kind === 'approval_card');
  const asked = await askApprovers(ctx, 'slack', cards, async (channel, role) => {
    const rendered = approvalCard(ctx, role);
    const res = await client.chat.postMessage({ channel, text: rendered.text, blocks: rendered.blocks as never }).catch((err: unknown) => {
      // A misconfigured channel (bot not invited, archived) will not heal by retrying; say so and go on.
      if (!CANNOT_POST_THERE.has(slackErrorCode(err) ?? '')) throw err;
      logger?.warn({ channel, sessionId: ctx.view.id, role: role.roleName, error: slackErrorCode(err) }, 'slack: cannot post the approval request in this channel; invite the bot');
      return undefined;
    });
    if (!res) return false;
    await saveMessageRef(db, {
      sessionId: ctx.view.id,
      approvalId: role.id,
      platform: 'slack',
      kind: 'approval_card',
      // Remembered as configured (not the id Slack answers with) so the next run finds it.
      channel,
      messageId: res.ts ?? null,
      conversationRef: { teamId, hash: hashOf(rendered), posted: [], postedTo: res.channel },
    });
    return true;
  });
  // Each card shows its own role's part; a card from before per-role approvals shows the first role's.
  for (const card of cards) {
    const role = ctx.approvals.find((a) => a.id === card.approvalId) ?? ctx.approvals[0];
    if (role) await updateIfChanged(db, client, { ...card, channel: postedTo(card) }, approvalCard(ctx, role));
  }
  return asked;
}

const postedTo = (ref: ChatMessageRef): string => {
  const to = (ref.conversationRef as { postedTo?: unknown } | null)?.postedTo;
  return typeof to === 'string' ? to : ref.channel;
};

async function syncSessionCard(db: EngineDeps['db'], client: SlackWebClient, ctx: ChatSessionContext, refs: ChatMessageRef[], origin: SlackOrigin) {
  const rendered = sessionCard(ctx);
  const existing = refs.find((r) => r.kind === 'session_card');
  if (existing) {
    await updateIfChanged(db, client, existing, rendered);
    return existing;
  }
  const res = await postWithDmFallback(client, origin, rendered);
  return saveMessageRef(db, {
    sessionId: ctx.view.id,
    platform: 'slack',
    kind: 'session_card',
    channel: res.channel,
    messageId: res.ts,
    conversationRef: { teamId: origin.teamId, hash: hashOf(rendered), posted: [] },
  });
}

/** Where the user asked, or their DM when that was a DM or a channel the bot may not post in. */
async function postWithDmFallback(client: SlackWebClient, origin: SlackOrigin, r: Rendered): Promise<{ channel: string; ts: string }> {
  const post = async (channel: string) => {
    const res = await client.chat.postMessage({ channel, text: r.text, blocks: r.blocks as never });
    if (!res.channel || !res.ts) throw new Error('chat.postMessage answered without channel or ts');
    return { channel: res.channel, ts: res.ts };
  };
  if (origin.isDm) return post(origin.userId);
  try {
    return await post(origin.channelId);
  } catch (err) {
    if (!CANNOT_POST_THERE.has(slackErrorCode(err) ?? '')) throw err;
    return post(origin.userId);
  }
}

/** Posts each reply not yet posted (keys remembered on the card's ref) in the card's thread, in order. */
async function postThreadReplies(db: EngineDeps['db'], client: SlackWebClient, card: ChatMessageRef, replies: ThreadReply[]) {
  if (!card.messageId) return;
  const state = stateOf(card);
  for (const reply of replies) {
    if (state.posted.includes(reply.key)) continue;
    await client.chat.postMessage({ channel: card.channel, thread_ts: card.messageId, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks as never } : {}) });
    // Remembered right after each post: a failure later in the list re-posts only what is missing.
    state.posted.push(reply.key);
    card.conversationRef = { ...(card.conversationRef ?? {}), ...state };
    await updateMessageRef(db, card.id, { conversationRef: card.conversationRef });
  }
}
