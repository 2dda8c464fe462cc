import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatSessionContext } from '../../engine/chat-session-context.ts';
import { updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { Logger } from '../../shared/logger.ts';
import { claimCard } from './cards/claim-card.ts';
import { warningCard } from './cards/warning-card.ts';
import { isMessageGone, type TeamsTransport } from './transport/adapter.ts';
import { ConversationRef, type AdaptiveCard } from './types.ts';

/**
 * A message with buttons besides the session card — the "ends in 10 minutes" warning, the claim
 * link — kept on the session card's ref (no table of its own: it lives and dies with the card).
 */
export const Tracked = z.object({
  key: z.string(),
  kind: z.enum(['warning', 'claim']),
  activityId: z.string(),
  ref: ConversationRef,
  /** The expiry a warning warns about (ms). */
  warnedFor: z.number().optional(),
  hash: z.string().optional(),
});
export type Tracked = z.infer<typeof Tracked>;

/** What a message ref remembers: where the message is, the last card sent (to skip no-op edits), the replies posted, the messages tracked. */
export const RefState = z.looseObject({
  ref: ConversationRef,
  hash: z.string().optional(),
  posted: z.array(z.string()).default([]),
  tracked: z.array(Tracked).default([]),
});
export type RefState = z.infer<typeof RefState>;

export const hashOf = (c: AdaptiveCard) => createHash('sha256').update(JSON.stringify(c)).digest('base64url').slice(0, 22);

export const stateOf = (ref: ChatMessageRef): RefState | undefined => {
  const s = RefState.safeParse(ref.conversationRef ?? {});
  return s.success ? s.data : undefined;
};

/** A tracked message as it should read now. */
function render(ctx: ChatSessionContext, t: Tracked): AdaptiveCard {
  if (t.kind === 'claim') return claimCard({ status: 'used', sessionId: ctx.view.id });
  return warningCard(ctx.view, new Date(t.warnedFor ?? 0));
}

/**
 * Brings every tracked message in line with the session (a warning loses its Extend once
 * extended or ended; a used claim link says so). One that was deleted is forgotten — its news
 * is on the session card — so it never makes the job retry.
 */
export async function syncTracked(db: EngineDeps['db'], transport: TeamsTransport, ctx: ChatSessionContext, row: ChatMessageRef, logger?: Logger): Promise<void> {
  const state = stateOf(row);
  if (!state?.tracked.length) return;
  let changed = false;
  const kept: Tracked[] = [];
  for (const t of state.tracked) {
    const rendered = render(ctx, t);
    const hash = hashOf(rendered);
    if (t.hash === hash) {
      kept.push(t);
      continue;
    }
    changed = true;
    try {
      await transport.inConversation(t.ref, async (c) => c.update(t.activityId, { card: rendered }));
      kept.push({ ...t, hash });
    } catch (err) {
      if (!isMessageGone(err)) throw err;
      logger?.info({ sessionId: ctx.view.id, kind: t.kind }, 'teams: a tracked message was deleted; no longer updated');
    }
  }
  if (!changed) return;
  row.conversationRef = { ...state, tracked: kept };
  await updateMessageRef(db, row.id, { conversationRef: row.conversationRef });
}
