import { describeStartOptions } from '../../engine/start-options.ts';
import { listMySessions } from '../../engine/session-queries.ts';
import { confirmAddress } from '../../engine/confirm-address.ts';
import { decideApproval } from '../../engine/decide-approval.ts';
import { DEFAULT_EXTEND_MINUTES, extendSession } from '../../engine/extend-session.ts';
import { stopSession } from '../../engine/stop-session.ts';
import type { ActionData } from './actions.ts';
import { sessionName, teamsDate } from './format.ts';
import type { TeamsHandlerDeps, TeamsMe } from './handler-deps.ts';
import { VERB, type Verb } from './ids.ts';
import { helpReply, sessionsReply } from './replies.ts';
import { replyPrivately, sendStartForm } from './start-flow.ts';
import type { TeamsTurn } from './transport/turn.ts';
import type { InboundActivity } from './types.ts';

/**
 * Does what a button says; returns a short message when there is news the card cannot show (a
 * repeat, or something posted below), else undefined (the caller answers with the card).
 */
export async function runButton(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe, verb: Verb, data: ActionData): Promise<string | undefined> {
  const sessionId = data.sessionId ?? '';
  switch (verb) {
    case VERB.sessionExtend: {
      const ifExpiresAt = typeof data.ifExpiresAt === 'number' ? new Date(data.ifExpiresAt) : undefined;
      // Cards from before the chosen amounts carry none: they added an hour.
      const r = await extendSession(deps.engine, { sessionId, additionalMinutes: data.minutes ?? DEFAULT_EXTEND_MINUTES, ifExpiresAt, actor: me.actor });
      return r.addedMinutes === 0 ? `Already extended: ${sessionName(sessionId)} ends ${teamsDate(r.expiresAt)}.` : undefined;
    }
    case VERB.sessionStop: {
      const r = await stopSession(deps.engine, { sessionId, actor: me.actor });
      return r.alreadyEnded ? `${sessionName(sessionId)} had already ended.` : undefined;
    }
    case VERB.sessionConfirm: {
      const r = await confirmAddress(deps.engine, { sessionId, actor: me.actor });
      return r.alreadyDone ? `${sessionName(sessionId)} is no longer waiting for you to confirm.` : undefined;
    }
    case VERB.approvalApprove:
    case VERB.approvalDeny: {
      const role = data.roleId ?? undefined;
      const r = await decideApproval(deps.engine, { sessionId, decision: verb === VERB.approvalApprove ? 'approve' : 'deny', role, actor: me.actor });
      return r.alreadyDecided ? `This request was already answered (${r.status.toLowerCase().replace('_', ' ')}).` : undefined;
    }
    case VERB.startForm:
      await sendStartForm(deps, turn, a, me);
      return 'The start form is in your chat with me.';
    case VERB.showStatus: {
      const views = await listMySessions(deps.engine, me.actor, { live: true });
      await replyPrivately(deps, turn, a, me, sessionsReply(views, { empty: 'You have no running session. Press Start or write **start**.' }), 'I sent you your status in a private chat.');
      return 'Your status is in your chat with me.';
    }
    case VERB.showHelp:
      await turn.reply(helpReply(me.user.isAdmin, await describeStartOptions(deps.engine.db, me.user.orgId, me.user.id)));
      return 'Help is below.';
    case VERB.sessionStart:
    case VERB.cardRefresh:
      return undefined;
  }
}
