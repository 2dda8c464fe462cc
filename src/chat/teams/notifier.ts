import { createHash } from 'node:crypto';
import { z } from 'zod';
import { loadChatSessionContext, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { loadMessageRefs, loadSessionOrigin, saveMessageRef, updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { ChatNotifier, SessionEvent } from '../../engine/ports.ts';
import { approvalCard } from './cards/approval-card.ts';
import { sessionCard } from './cards/session-card.ts';
import { askApprovers } from '../shared/ask-approvers.ts';
import { TeamsOrigin } from './origin.ts';
import { sessionReplies, unreachableApproversReply, type TeamsReply } from './thread-replies.ts';
import type { Logger } from '../../shared/logger.ts';
import { isCannotPostThere, type TeamsTransport } from './transport/adapter.ts';
import { ConversationRef, type AdaptiveCard } from './types.ts';

/** What a message ref remembers: where the message is, the last card sent (to skip no-op edits), the replies posted. */
const RefState = z.looseObject({ ref: ConversationRef, hash: z.string().optional(), posted: z.array(z.string()).default([]) });
type RefState = z.infer<typeof RefState>;

type Db = EngineDeps['db'];

/**
 * The Teams side of notify_session, through proactive messaging from stored conversation
 * references. Renders the session's current state, so a retry or late event is harmless. Any
 * connector failure is thrown — the job retries with backoff — and what was sent is recorded
 * only after Teams took it, so the retry sends exactly what is missing.
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
      if (origin && cardRef) await postReplies(db, transport, cardRef, origin, sessionReplies(ctx, event));
      // The requester's serviceUrl is their tenant's region; approvers are in the same tenant.
      const approvers = await syncApprovalCards(db, transport, ctx, refs, { tenantId, serviceUrl: origin?.serviceUrl ?? deps.defaultServiceUrl }, deps.logger);
      if (origin && cardRef && approvers.unreachable.length) await postReplies(db, transport, cardRef, origin, [unreachableApproversReply(ctx, approvers.unreachable)]);
    },
  };
}

const hashOf = (c: AdaptiveCard) => createHash('sha256').update(JSON.stringify(c)).digest('base64url').slice(0, 22);
const stateOf = (ref: ChatMessageRef): RefState | undefined => {
  const s = RefState.safeParse(ref.conversationRef ?? {});
  return s.success ? s.data : undefined;
};

/** Edits a posted card (PUT on its activity id) unless Teams already shows exactly that. */
async function updateIfChanged(db: Db, transport: TeamsTransport, row: ChatMessageRef, rendered: AdaptiveCard): Promise<void> {
  const state = stateOf(row);
  const hash = hashOf(rendered);
  if (!state || state.hash === hash || !row.messageId) return;
  const id = row.messageId;
  await transport.inConversation(state.ref, async (c) => c.update(id, { card: rendered }));
  row.conversationRef = { ...state, hash };
  await updateMessageRef(db, row.id, { conversationRef: row.conversationRef });
}

async function syncApprovalCards(
  db: Db,
  transport: TeamsTransport,
  ctx: ChatSessionContext,
  refs: ChatMessageRef[],
  where: { tenantId: string; serviceUrl: string },
  logger?: Logger,
): Promise<{ unreachable: string[] }> {
  const cards = refs.filter((r) => r.kind === 'approval_card');
  const asked = await askApprovers(ctx, 'teams', cards, async (channelId, role) => {
    const rendered = approvalCard(ctx, role);
    const result = await transport.postToChannel({ ...where, channelId }, { card: rendered }).catch((err: unknown) => {
      // A channel the bot is not in (or that is gone) will not heal by retrying; say so and go on.
      if (!isCannotPostThere(err)) throw err;
      logger?.warn({ channelId, sessionId: ctx.view.id, role: role.roleName, status: (err as { statusCode?: number }).statusCode }, 'teams: cannot post the approval request in this channel; add the app to its team');
      return undefined;
    });
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
    if (role) await updateIfChanged(db, transport, row, approvalCard(ctx, role));
  }
  return asked;
}

async function syncSessionCard(db: Db, transport: TeamsTransport, ctx: ChatSessionContext, refs: ChatMessageRef[], origin: TeamsOrigin): Promise<ChatMessageRef> {
  const rendered = sessionCard(ctx);
  const existing = refs.find((r) => r.kind === 'session_card');
  if (existing) {
    await updateIfChanged(db, transport, existing, rendered);
    return existing;
  }
  let id: string | undefined;
  await transport.inConversation(origin.conversation, async (c) => void (id = await c.send({ card: rendered })));
  if (!id) throw new Error('Teams answered without an activity id for the session card');
  return saveMessageRef(db, {
    sessionId: ctx.view.id,
    platform: 'teams',
    kind: 'session_card',
    channel: origin.conversation.conversation.id,
    messageId: id,
    conversationRef: { ref: origin.conversation, hash: hashOf(rendered), posted: [] },
  });
}

/** Posts each reply not yet posted (keys remembered on the card's ref), in order. */
async function postReplies(db: Db, transport: TeamsTransport, row: ChatMessageRef, origin: TeamsOrigin, replies: TeamsReply[]) {
  const state = stateOf(row);
  if (!state) return;
  for (const reply of replies) {
    if (state.posted.includes(reply.key)) continue;
    await transport.inConversation(reply.to === 'personal' ? origin.personal : origin.conversation, async (c) => void (await c.send(reply.message)));
    // Remembered right after each post: a failure later in the list re-posts only what is missing.
    state.posted.push(reply.key);
    row.conversationRef = { ...state };
    await updateMessageRef(db, row.id, { conversationRef: row.conversationRef });
  }
}
