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
  /** Their 1:1 chat with the bot: the claim link and the approval outcome go there. */
  personal: ConversationRef,
});
export type TeamsOrigin = z.infer<typeof TeamsOrigin>;
