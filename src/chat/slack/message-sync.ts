import { createHash } from 'node:crypto';
import { z } from 'zod';
import { updateMessageRef, type ChatMessageRef } from '../../engine/chat-refs.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { Logger } from '../../shared/logger.ts';
import { slackErrorCode, type SlackWebClient } from './clients.ts';

/**
 * Keeping one tracked Slack message in step: edit it when its rendering changed, and when Slack
 * says it is gone (deleted, its channel archived or deleted), post it anew and remember where.
 */

/** What we remember on a message ref: the last rendering sent (to skip no-op updates), the replies posted, and replies with controls (kept up to date). */
export const RefState = z.looseObject({
  teamId: z.string().optional(),
  hash: z.string().optional(),
  posted: z.array(z.string()).default([]),
  live: z.record(z.string(), z.object({ ts: z.string(), hash: z.string() })).default({}),
});
export type RefState = z.infer<typeof RefState>;

export interface Rendered {
  text: string;
  blocks: unknown[];
}

export const hashOf = (r: Rendered) => createHash('sha256').update(JSON.stringify(r)).digest('base64url').slice(0, 22);
export const stateOf = (ref: ChatMessageRef): RefState => RefState.catch({ posted: [], live: {} }).parse(ref.conversationRef ?? {});

/** Errors meaning "the bot cannot post there": the card goes to the user's DM instead. */
export const CANNOT_POST_THERE = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'access_denied']);

/**
 * Errors meaning "the message we track is gone" (issue 11, point 6): editing it can never work
 * again, so retrying would only repeat the failure for days. The channel ones mean its channel is gone too.
 */
const MESSAGE_GONE = new Set(['message_not_found', 'cant_update_message', 'thread_not_found']);
const CHANNEL_GONE = new Set(['channel_not_found', 'is_archived', 'not_in_channel']);

/** "message" when the message is gone, "channel" when its channel is, else undefined (a failure to retry). */
export function goneKind(err: unknown): 'message' | 'channel' | undefined {
  const code = slackErrorCode(err) ?? '';
  return MESSAGE_GONE.has(code) ? 'message' : CHANNEL_GONE.has(code) ? 'channel' : undefined;
}

export async function post(client: SlackWebClient, channel: string, r: Rendered, threadTs?: string): Promise<{ channel: string; ts: string }> {
  const res = await client.chat.postMessage({ channel, text: r.text, ...(r.blocks.length ? { blocks: r.blocks as never } : {}), ...(threadTs ? { thread_ts: threadTs } : {}) });
  if (!res.channel || !res.ts) throw new Error('chat.postMessage answered without channel or ts');
  return { channel: res.channel, ts: res.ts };
}

/** Posts in `channel`, or in `fallbackUser`'s DM when the bot may not post there. */
export async function postOrDm(client: SlackWebClient, channel: string, fallbackUser: string | undefined, r: Rendered) {
  try {
    return await post(client, channel, r);
  } catch (err) {
    if (!fallbackUser || !CANNOT_POST_THERE.has(slackErrorCode(err) ?? '')) throw err;
    return post(client, fallbackUser, r);
  }
}

export interface SyncTarget {
  db: EngineDeps['db'];
  client: SlackWebClient;
  logger?: Logger | undefined;
  /** Where a message whose channel is gone is posted instead (the person's DM), if anywhere. */
  dmUser: string | undefined;
}

/**
 * Edits the message to `rendered` unless Slack already shows exactly that; a message that is gone
 * is posted again (in the DM when its channel is gone) and the ref follows it. Returns the ref.
 * Replies already posted stay remembered, so only what is missing follows in the new thread.
 */
export async function syncMessage(t: SyncTarget, ref: ChatMessageRef, rendered: Rendered, where: { channel: string } = { channel: ref.channel }): Promise<ChatMessageRef> {
  const state = stateOf(ref);
  const hash = hashOf(rendered);
  if (state.hash === hash && ref.messageId) return ref;
  if (ref.messageId) {
    try {
      await t.client.chat.update({ channel: where.channel, ts: ref.messageId, text: rendered.text, blocks: rendered.blocks as never });
      ref.conversationRef = { ...state, hash };
      await updateMessageRef(t.db, ref.id, { conversationRef: ref.conversationRef });
      return ref;
    } catch (err) {
      const gone = goneKind(err);
      if (!gone) throw err;
      t.logger?.info({ ref: ref.id, kind: ref.kind, error: slackErrorCode(err) }, 'slack: a tracked message is gone; posting it again');
      return repost(t, ref, rendered, gone === 'channel' && t.dmUser ? t.dmUser : where.channel, state);
    }
  }
  return repost(t, ref, rendered, where.channel, state);
}

async function repost(t: SyncTarget, ref: ChatMessageRef, rendered: Rendered, channel: string, state: RefState): Promise<ChatMessageRef> {
  const res = await postOrDm(t.client, channel, t.dmUser, rendered).catch((err: unknown) => {
    // Nowhere to post it (an approvers' channel archived): retrying will not heal that; say so and go on.
    if (!CANNOT_POST_THERE.has(slackErrorCode(err) ?? '')) throw err;
    t.logger?.warn({ ref: ref.id, kind: ref.kind, channel, error: slackErrorCode(err) }, 'slack: cannot post a tracked message again; invite the bot');
    return undefined;
  });
  if (!res) return ref;
  // Replies with controls lived in the old thread: they are gone with it.
  const next = { ...state, hash: hashOf(rendered), live: {}, postedTo: res.channel };
  const moved = ref.kind === 'session_card' ? { channel: res.channel } : {};
  await updateMessageRef(t.db, ref.id, { ...moved, messageId: res.ts, conversationRef: next });
  return { ...ref, ...moved, messageId: res.ts, conversationRef: next };
}
