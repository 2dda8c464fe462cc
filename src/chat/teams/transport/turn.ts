import { ActivityTypes, CardFactory, TeamsInfo, TurnContext, type Activity } from 'botbuilder';
import type { ConversationRef, InvokeAnswer, OutgoingMessage } from '../types.ts';

/** One inbound turn, as the rest of src/chat/teams/ sees it: no botbuilder types leak out. */
export interface TeamsTurn {
  /** The activity as JSON (validated by the caller). */
  readonly activity: unknown;
  /** Message text with the bot's @mention removed (channels). */
  readonly text: string;
  /** Where this conversation is, for replying later (proactive messages). */
  conversationRef(): ConversationRef;
  /** Replies in this conversation; returns the new activity id. */
  reply(msg: OutgoingMessage): Promise<string | undefined>;
  /** The sender's email and UPN from the connector's member lookup (undefined when Teams does not know them). */
  senderEmail(): Promise<string | undefined>;
  /** Answers an Action.Execute invoke (becomes the HTTP response body). */
  answerInvoke(answer: InvokeAnswer): Promise<void>;
}

/** Turns our message into a Bot Framework activity. */
export function toActivity(msg: OutgoingMessage): Partial<Activity> {
  return {
    type: ActivityTypes.Message,
    ...(msg.text !== undefined ? { text: msg.text, textFormat: 'markdown' } : {}),
    ...(msg.card ? { attachments: [CardFactory.adaptiveCard(msg.card)] } : {}),
  };
}

export const refOf = (activity: Partial<Activity>): ConversationRef =>
  JSON.parse(JSON.stringify(TurnContext.getConversationReference(activity))) as ConversationRef;

export function wrapTurn(ctx: TurnContext): TeamsTurn {
  return {
    activity: ctx.activity,
    text: (TurnContext.removeRecipientMention(ctx.activity) ?? ctx.activity.text ?? '').trim(),
    conversationRef: () => refOf(ctx.activity),
    async reply(msg) {
      const res = await ctx.sendActivity(toActivity(msg));
      return res?.id;
    },
    async senderEmail() {
      try {
        const m = await TeamsInfo.getMember(ctx, ctx.activity.from.id);
        return m.email ?? m.userPrincipalName ?? undefined;
      } catch (err) {
        // The connector answers 404 for someone who is not a member: an unknown person, not an outage.
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async answerInvoke(answer) {
      const body =
        answer.kind === 'card'
          ? { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: answer.card }
          : { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: answer.text };
      await ctx.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
    },
  };
}
