import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { deliverReply } from './deliver-reply.ts';
import { slackMessage, slackText } from './escape.ts';
import { confirmAddress } from '../../engine/confirm-address.ts';
import { decideApproval, type Decision } from '../../engine/decide-approval.ts';
import { extendSession } from '../../engine/extend-session.ts';
import { stopSession } from '../../engine/stop-session.ts';
import { isAppError } from '../../shared/errors.ts';
import { buttonAttempt } from '../shared/attempt.ts';
import { parseApprovalValue } from './blocks/approval-card.ts';
import { parseExtendValue } from './blocks/session-card.ts';
import type { SlackWebClient } from './clients.ts';
import { durationText, shortId, slackDate } from './format.ts';
import { errorReply, identify, type Reply, type SlackHandlerDeps, type SlackMe } from './handler-deps.ts';
import { ACTION, EXTEND_BUTTON_MINUTES } from './ids.ts';

/**
 * Card buttons. Each acks first, then acts through the engine, which enforces who may do what
 * (owner or admin for Extend/Stop; the role's approvers, never the requester, for approvals)
 * and audits refusals. Answers are private to the clicker; the cards themselves are updated by
 * the notifier from the new state, for everyone.
 */
export function registerActions(app: App, deps: SlackHandlerDeps): void {
  // The claim link button opens a URL; Slack still sends us the click, which needs only an ack.
  for (const id of [ACTION.claimOpen, ACTION.checkOpen]) {
    app.action(id, async ({ ack }) => {
      await ack();
    });
  }
  const on = (id: string, act: (me: SlackMe, value: string) => Promise<Reply>) =>
    app.action<BlockAction<ButtonAction | StaticSelectAction>>(id, async ({ ack, body, action, client, respond }) => {
      await ack();
      // A button carries its value; a menu the value of the option chosen.
      const value = action.type === 'static_select' ? action.selected_option.value : (action.value ?? '');
      const to = { respond, client: client as SlackWebClient, userId: body.user.id, logger: deps.logger };
      await answer(deps, to, async () => act(await identify(deps, client as SlackWebClient, teamOf(body), body.user.id, buttonAttempt(id)), value));
    });

  const extend = async (me: SlackMe, value: string): Promise<Reply> => {
    const { sessionId, ifExpiresAt, minutes } = parseExtendValue(value);
    const r = await extendSession(deps.engine, { sessionId, additionalMinutes: minutes ?? EXTEND_BUTTON_MINUTES, ifExpiresAt, actor: me.actor });
    if (r.addedMinutes === 0) return { text: `Already extended: session \`${shortId(sessionId)}\` ends ${slackDate(r.expiresAt)}.` };
    return { text: `Extended by ${durationText(r.addedMinutes)}: session \`${shortId(sessionId)}\` now ends ${slackDate(r.expiresAt)}${r.trimmed ? ' (the longest it may run)' : ''}.` };
  };
  on(ACTION.sessionExtend, extend);
  on(ACTION.sessionExtendBy, extend);
  on(ACTION.sessionStop, async (me, sessionId) => {
    const r = await stopSession(deps.engine, { sessionId, actor: me.actor });
    return { text: r.alreadyEnded ? `Session \`${shortId(sessionId)}\` had already ended.` : `Stopping session \`${shortId(sessionId)}\`: access is being closed.` };
  });
  on(ACTION.sessionConfirm, async (me, sessionId) => {
    const r = await confirmAddress(deps.engine, { sessionId, actor: me.actor });
    if (r.alreadyDone) return { text: `Session \`${shortId(sessionId)}\` is no longer waiting for you to confirm.` };
    return { text: r.state === 'AWAITING_APPROVAL' ? `Confirmed \`${r.address}\`. Now waiting for approval.` : `Opening access for \`${r.address}\`…` };
  });
  const decide = (decision: Decision) => async (me: SlackMe, value: string) => {
    const { sessionId, role } = parseApprovalValue(value);
    const r = await decideApproval(deps.engine, { sessionId, decision, role, actor: me.actor });
    if (r.alreadyDecided) return { text: `This request was already answered (${r.status.toLowerCase().replace('_', ' ')}).` };
    if (decision === 'deny') return { text: 'Denied. The requester has been told.' };
    if (r.waitingFor.length) return { text: `Approved for ${slackText(r.decided.join(', '))}. Still waiting for: ${slackText(r.waitingFor.join(', '))}.` };
    return { text: 'Approved. The requester has been told.' };
  };
  on(ACTION.approvalApprove, decide('approve'));
  on(ACTION.approvalDeny, decide('deny'));
}

/** Org-wide installs send `team: null`; the clicking user's team is then the workspace. */
const teamOf = (body: BlockAction): string => body.team?.id ?? body.user.team_id ?? '';

async function answer(deps: SlackHandlerDeps, to: Parameters<typeof deliverReply>[0], act: () => Promise<Reply>) {
  let reply: Reply;
  try {
    reply = await act();
  } catch (err) {
    // The engine hides other people's sessions as "not found"; on a card everyone can see, the
    // honest answer is that the button is not theirs to press.
    reply =
      isAppError(err) && err.code === 'SESSION_NOT_FOUND'
        ? { text: ':no_entry: Only the person who started this session or an admin can do that.' }
        : errorReply(deps, err);
  }
  await deliverReply(to, { response_type: 'ephemeral', replace_original: false, text: slackMessage(reply.text) });
}
