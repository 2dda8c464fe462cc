import { z } from 'zod';
import { ConversationRef } from './types.ts';

/**
 * The claim's origin context for a Teams start: where the session card goes later. Written by the
 * start command, read back by the notifier (validated: it round-trips through the database).
 */
export const TeamsOrigin = z.object({
  tenantId: z.string().min(1),
  serviceUrl: z.string().min(1),
  /** The requester's Teams user id (`29:…`). */
  userId: z.string().min(1),
  /** Where they asked (1:1 chat or a channel thread): the session card and its replies go there. */
  conversation: ConversationRef,
  /** Their 1:1 chat with the bot: the claim link, the session card and the approval outcome go there. */
  personal: ConversationRef,
  /** The message in `personal` holding the claim link (the form it replaced, or the link card), told when the link is used. */
  claimCard: z.object({ activityId: z.string().min(1) }).optional(),
  /**
   * The reason the person gave (`start 2h fixing INC-123`, the form's field). Kept here until the
   * engine's claim input takes a reason (issue 11, point 3, engine side): then it is passed there.
   */
  reason: z.string().optional(),
});
export type TeamsOrigin = z.infer<typeof TeamsOrigin>;

/**
 * Where the session card and its replies go: the person's 1:1 chat, even when they asked in a
 * channel or group chat — the card shows their email and address (issue 11, point 11). An org
 * setting to keep cards in the channel is not in the engine yet; when it is, it is read here.
 */
export const cardHome = (origin: TeamsOrigin): ConversationRef => origin.personal;
