import { loadChatSessionContext, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { loadMessageRefs, loadSessionOrigin, saveMessageRef, updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { ChatNotifier, SessionEvent } from '../../engine/ports.ts';
import type { Logger } from '../../shared/logger.ts';
import { askApprovers } from '../shared/ask-approvers.ts';
import { approvalCard } from './cards/approval-card.ts';
import { sessionCard } from './cards/session-card.ts';
import { cardHome, TeamsOrigin } from './origin.ts';
import { hashOf, stateOf, syncTracked, type RefState, type Tracked } from './tracked-messages.ts';
import { sessionReplies, unreachableApproversReply, type TeamsReply } from './thread-replies.ts';
import { isCannotPostThere, isMessageGone, type TeamsTransport } from './transport/adapter.ts';
import type { AdaptiveCard, ConversationRef } from './types.ts';

type Db = EngineDeps['db'];

/**
 * The Teams side of notify_session, through proactive messaging from stored conversation
 * references. Renders the session's current state, so a retry or late event is harmless. Any
 * connector failure is thrown — the job retries with backoff — and what was sent is recorded
 * only after Teams took it, so the retry sends exactly what is missing. A message someone
 * deleted is not a failure: a new one is posted (or, for a reply with buttons, it is forgotten).
 */
export function createTeamsNotifier(deps: { db: Db; transport: TeamsTransport; defaultServiceUrl: string; logger?: Logger }): ChatNotifier {
  const { db, transport } = deps;
  return {
    platform: 'teams',
    async notify(sessionId: string, event: SessionEvent) {
      const ctx = await loadChatSessionContext(db, sessionId, 'teams');
      if (!ctx) return;
      const parsed = TeamsOrigin.safeParse(await loadSessionOrigin(db, sessionId));
      const origin = ctx.view.origin === 'teams' && parsed.success ? parsed.data : undefined;
      const tenantId = origin?.tenantId ?? ctx.workspaceIds[0];
      if (!tenantId) return; // the org has no Teams tenant: nothing to tell here
      const refs = await loadMessageRefs(db, sessionId, 'teams');
      // The requester's card first: a failing approval channel must not hold it back.
      const cardRef = origin ? await syncSessionCard(db, transport, ctx, refs, origin) : undefined;
      if (origin && cardRef) {
        await postReplies(db, transport, cardRef, origin, sessionReplies(ctx, event));
        await syncTracked(db, transport, ctx, cardRef, deps.logger);
      }
      // The requester's serviceUrl is their tenant's region; approvers are in the same tenant.
      const approvers = await syncApprovalCards(db, transport, ctx, refs, { tenantId, serviceUrl: origin?.serviceUrl ?? deps.defaultServiceUrl, reason: origin?.reason }, deps.logger);
      if (origin && cardRef && approvers.unreachable.length) await postReplies(db, transport, cardRef, origin, [unreachableApproversReply(ctx, approvers.unreachable)]);
    },
  };
}

/** Edits a posted card (PUT on its activity id) unless Teams already shows exactly that. 'gone': the message was deleted. */
async function updateIfChanged(db: Db, transport: TeamsTransport, row: ChatMessageRef, rendered: AdaptiveCard): Promise<'same' | 'updated' | 'gone'> {
  const state = stateOf(row);
  const hash = hashOf(rendered);
  if (!state || state.hash === hash || !row.messageId) return 'same';
  const id = row.messageId;
  try {
    await transport.inConversation(state.ref, async (c) => c.update(id, { card: rendered }));
  } catch (err) {
    if (isMessageGone(err)) return 'gone';
    throw err;
  }
  row.conversationRef = { ...state, hash };
  await updateMessageRef(db, row.id, { conversationRef: row.conversationRef });
  return 'updated';
}

async function syncApprovalCards(
  db: Db,
  transport: TeamsTransport,
  ctx: ChatSessionContext,
  refs: ChatMessageRef[],
  where: { tenantId: string; serviceUrl: string; reason: string | undefined },
  logger?: Logger,
): Promise<{ unreachable: string[] }> {
  const cards = refs.filter((r) => r.kind === 'approval_card');
  const post = async (channelId: string, rendered: AdaptiveCard, roleName: string) =>
    transport.postToChannel({ tenantId: where.tenantId, serviceUrl: where.serviceUrl, channelId }, { card: rendered }).catch((err: unknown) => {
      // A channel the bot is not in (or that is gone) will not heal by retrying; say so and go on.
      if (!isCannotPostThere(err)) throw err;
      logger?.warn({ channelId, sessionId: ctx.view.id, role: roleName, status: (err as { statusCode?: number }).statusCode }, 'teams: cannot post the approval request in this channel; add the app to its team');
      return undefined;
    });
  const asked = await askApprovers(ctx, 'teams', cards, async (channelId, role) => {
    const rendered = approvalCard(ctx, role, { reason: where.reason });
    const result = await post(channelId, rendered, role.roleName);
    if (!result) return false;
    await saveMessageRef(db, {
      sessionId: ctx.view.id,
      approvalId: role.id,
      platform: 'teams',
      kind: 'approval_card',
      channel: channelId,
      messageId: result.activityId,
      conversationRef: { ref: result.ref, hash: hashOf(rendered), posted: [] },
    });
    return true;
  });
  // Each card shows its own role's part; a card from before per-role approvals shows the first role's.
  for (const row of cards) {
    const role = ctx.approvals.find((a) => a.id === row.approvalId) ?? ctx.approvals[0];
    if (!role) continue;
    const rendered = approvalCard(ctx, role, { reason: where.reason });
    if ((await updateIfChanged(db, transport, row, rendered)) !== 'gone') continue;
    // Someone deleted the card: approvers see the request (or its outcome) in a new post.
    const result = await post(row.channel, rendered, role.roleName);
    if (result) await repointRef(db, row, result.activityId, result.ref, rendered);
  }
  return asked;
}

async function repointRef(db: Db, row: ChatMessageRef, messageId: string, ref: ConversationRef, rendered: AdaptiveCard) {
  const state = stateOf(row);
  row.messageId = messageId;
  row.conversationRef = { ...(state ?? { posted: [], tracked: [] }), ref, hash: hashOf(rendered) };
  await updateMessageRef(db, row.id, { messageId, conversationRef: row.conversationRef });
}

/** Posts `msg` in `ref`; when that chat is gone, once in a freshly opened 1:1 chat instead. */
async function sendOrReopen(transport: TeamsTransport, origin: TeamsOrigin, ref: ConversationRef, card: AdaptiveCard): Promise<{ id: string; ref: ConversationRef }> {
  let id: string | undefined;
  try {
    await transport.inConversation(ref, async (c) => void (id = await c.send({ card })));
  } catch (err) {
    if (!isMessageGone(err)) throw err;
    ref = await transport.openPersonal({ serviceUrl: origin.serviceUrl, tenantId: origin.tenantId, userId: origin.userId });
    await transport.inConversation(ref, async (c) => void (id = await c.send({ card })));
  }
  if (!id) throw new Error('Teams answered without an activity id for the session card');
  return { id, ref };
}

async function syncSessionCard(db: Db, transport: TeamsTransport, ctx: ChatSessionContext, refs: ChatMessageRef[], origin: TeamsOrigin): Promise<ChatMessageRef> {
  const rendered = sessionCard(ctx, { refreshFor: [origin.userId], reason: origin.reason });
  const existing = refs.find((r) => r.kind === 'session_card');
  if (existing) {
    if ((await updateIfChanged(db, transport, existing, rendered)) !== 'gone') return existing;
    // Deleted: a new card in the same place, and the updates carry on there.
    const again = await sendOrReopen(transport, origin, stateOf(existing)?.ref ?? cardHome(origin), rendered);
    await repointRef(db, existing, again.id, again.ref, rendered);
    return existing;
  }
  const home = cardHome(origin);
  const posted = await sendOrReopen(transport, origin, home, rendered);
  // The claim link that started it is used now: its message says so (and loses its link).
  const tracked: Tracked[] = origin.claimCard ? [{ key: 'claim', kind: 'claim', activityId: origin.claimCard.activityId, ref: origin.personal }] : [];
  return saveMessageRef(db, {
    sessionId: ctx.view.id,
    platform: 'teams',
    kind: 'session_card',
    channel: posted.ref.conversation.id,
    messageId: posted.id,
    conversationRef: { ref: posted.ref, hash: hashOf(rendered), posted: [], tracked } satisfies RefState,
  });
}

/** Posts each reply not yet posted (keys remembered on the card's ref), in order; a reply with buttons is tracked. */
async function postReplies(db: Db, transport: TeamsTransport, row: ChatMessageRef, origin: TeamsOrigin, replies: TeamsReply[]) {
  const state = stateOf(row);
  if (!state) return;
  for (const reply of replies) {
    if (state.posted.includes(reply.key)) continue;
    const to = reply.to === 'personal' ? origin.personal : state.ref;
    let id: string | undefined;
    try {
      await transport.inConversation(to, async (c) => void (id = await c.send(reply.message)));
    } catch (err) {
      // The chat is gone (the person removed the app): nobody can read it there; carry on.
      if (!isMessageGone(err)) throw err;
    }
    // Remembered right after each post: a failure later in the list re-posts only what is missing.
    state.posted.push(reply.key);
    if (id && reply.track && reply.message.card) state.tracked.push({ key: reply.key, kind: reply.track.kind, activityId: id, ref: to, warnedFor: reply.track.warnedFor, hash: hashOf(reply.message.card) });
    row.conversationRef = { ...state };
    await updateMessageRef(db, row.id, { conversationRef: row.conversationRef });
  }
}
