import { z } from 'zod';
import { handleExecute, handleSubmit } from './actions.ts';
import { handleMessage } from './commands.ts';
import type { TeamsHandlerDeps } from './handler-deps.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { InboundActivity, isChannel } from './types.ts';

const Added = z.looseObject({ membersAdded: z.array(z.looseObject({ id: z.string() })).default([]), recipient: z.looseObject({ id: z.string() }) });

/**
 * When the app is installed (the bot itself among the members added), say what it does. In a
 * team it asks an admin to pick the approval channel: binding roles to a team automatically
 * could send requests to people who must not see them.
 */
async function welcome(turn: TeamsTurn, a: InboundActivity): Promise<void> {
  const added = Added.safeParse(a);
  if (!added.success || !added.data.membersAdded.some((m) => m.id === added.data.recipient.id)) return;
  const text = isChannel(a)
    ? 'Hi, I am **EntryGuard**: I open your IP on your cloud firewalls for a limited time. Write `start 2h` to me in a 1:1 chat. Admins: say `@EntryGuard approvals here <role>` in the channel that should approve requests for a role.'
    : 'Hi, I am **EntryGuard**: I open your IP on your cloud firewalls for a limited time. Write `start 2h` to begin, or `help`.';
  await turn.reply({ text });
}

/**
 * One inbound activity: messages are commands (or Action.Submit clicks), `adaptiveCard/action`
 * invokes are Action.Execute clicks. Other activities (conversation updates, reactions …) are
 * acknowledged and ignored.
 */
export function createTeamsBot(deps: TeamsHandlerDeps): (turn: TeamsTurn) => Promise<void> {
  return async (turn) => {
    const parsed = InboundActivity.safeParse(turn.activity);
    if (!parsed.success) return;
    const a = parsed.data;
    if (a.type === 'invoke' && a.name === 'adaptiveCard/action') return handleExecute(deps, turn, a);
    if (a.type === 'invoke') return turn.answerInvoke({ kind: 'message', text: 'Not supported.' });
    if (a.type === 'conversationUpdate') return welcome(turn, a);
    if (a.type !== 'message') return;
    if (a.value && !turn.text) return handleSubmit(deps, turn, a);
    return handleMessage(deps, turn, a);
  };
}
