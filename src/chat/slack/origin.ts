import { z } from 'zod';

/**
 * The claim's origin context for a Slack start: where the session card goes later. Written by
 * the start command, read back by the notifier (validated: it round-trips through the database).
 */
export const SlackOrigin = z.object({
  teamId: z.string().min(1),
  channelId: z.string().min(1),
  userId: z.string().min(1),
  responseUrl: z.string().optional(),
  /** The command came from a DM with the bot: the card goes to the DM. */
  isDm: z.boolean().default(false),
});
export type SlackOrigin = z.infer<typeof SlackOrigin>;
