import { z } from 'zod';

/**
 * Our own JSON shapes for what Teams sends and what we send back. Only src/chat/teams/transport/
 * knows botbuilder; everything else works on these, so a move to the Microsoft 365 Agents SDK
 * changes one folder.
 */

/** A stored conversation reference (botbuilder's ConversationReference as JSON, round-trips through the database). */
export const ConversationRef = z.looseObject({
  conversation: z.looseObject({ id: z.string().min(1), tenantId: z.string().optional(), conversationType: z.string().optional() }),
  serviceUrl: z.string().min(1),
  channelId: z.string().default('msteams'),
  bot: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
  user: z.looseObject({ id: z.string() }).optional(),
  activityId: z.string().optional(),
});
export type ConversationRef = z.infer<typeof ConversationRef>;

/** The parts of an inbound activity the bot reads. Anything else is ignored. */
export const InboundActivity = z.looseObject({
  type: z.string(),
  id: z.string().optional(),
  name: z.string().optional(),
  text: z.string().optional(),
  value: z.unknown().optional(),
  replyToId: z.string().optional(),
  serviceUrl: z.string(),
  from: z.looseObject({ id: z.string(), name: z.string().optional(), aadObjectId: z.string().optional() }),
  conversation: z.looseObject({ id: z.string(), tenantId: z.string().optional(), conversationType: z.string().optional() }),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string() }).optional(),
      channel: z.looseObject({ id: z.string() }).optional(),
      team: z.looseObject({ id: z.string() }).optional(),
    })
    .optional(),
});
export type InboundActivity = z.infer<typeof InboundActivity>;

/** An Adaptive Card body (we build it; Teams renders it). */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

/** What the bot sends: text, a card, or both. */
export interface OutgoingMessage {
  text?: string;
  card?: AdaptiveCard;
}

/** The synchronous answer to an Action.Execute invoke: a card replacing the clicked one, or a message. */
export type InvokeAnswer = { kind: 'card'; card: AdaptiveCard } | { kind: 'message'; text: string };

/** The tenant a Teams activity comes from. */
export const tenantOf = (a: InboundActivity): string | undefined => a.conversation.tenantId ?? a.channelData?.tenant?.id;

/** Channel conversations are `19:…@thread.tacv2` (optionally `;messageid=<root>` for a thread). */
export const isChannel = (a: InboundActivity): boolean => a.conversation.conversationType === 'channel';
export const isPersonal = (a: InboundActivity): boolean => (a.conversation.conversationType ?? 'personal') === 'personal';
