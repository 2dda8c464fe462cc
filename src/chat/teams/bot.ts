import { handleExecute, handleSubmit } from './actions.ts';
import { handleMessage } from './commands.ts';
import type { TeamsHandlerDeps } from './handler-deps.ts';
import { onInstalled } from './installed.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { InboundActivity } from './types.ts';

/**
 * One inbound activity: messages are commands (or Action.Submit clicks), `adaptiveCard/action`
 * invokes are Action.Execute clicks, a conversation update may be the app being installed. Other
 * activities (reactions …) are acknowledged and ignored.
 */
export function createTeamsBot(deps: TeamsHandlerDeps): (turn: TeamsTurn) => Promise<void> {
  return async (turn) => {
    const parsed = InboundActivity.safeParse(turn.activity);
    if (!parsed.success) return;
    const a = parsed.data;
    if (a.type === 'invoke' && a.name === 'adaptiveCard/action') return handleExecute(deps, turn, a);
    if (a.type === 'invoke') return turn.answerInvoke({ kind: 'message', text: 'Not supported.' });
    if (a.type === 'conversationUpdate') return onInstalled(deps, turn, a);
    if (a.type !== 'message') return;
    if (a.value && !turn.text) return handleSubmit(deps, turn, a);
    return handleMessage(deps, turn, a);
  };
}
