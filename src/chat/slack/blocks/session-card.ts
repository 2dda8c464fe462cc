import type { types } from '@slack/bolt';
import { slackText } from '../escape.ts';
import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import type { SessionView } from '../../../engine/session-view.ts';
import { ACTION } from '../ids.ts';
import { LIVE_STATES } from '../../../engine/state-machine.ts';
import { durationText, ipsText, mention, resourceLines, shortId, slackDate, stateBadge } from '../format.ts';

type Block = types.KnownBlock;

/** Extend carries the expiry it was rendered with, so a double click extends once (see extendSession). */
export const extendValue = (v: Pick<SessionView, 'id' | 'expiresAt'>): string => `${v.id}|${v.expiresAt?.getTime() ?? ''}`;

export function parseExtendValue(value: string): { sessionId: string; ifExpiresAt: Date | undefined } {
  const [sessionId = '', ms = ''] = value.split('|');
  return { sessionId, ifExpiresAt: /^\d+$/.test(ms) ? new Date(Number(ms)) : undefined };
}

export function extendButton(v: SessionView): types.Button {
  return { type: 'button', action_id: ACTION.sessionExtend, text: { type: 'plain_text', text: 'Extend 1h' }, value: extendValue(v) };
}

/** The session card: state badge, IPs, per-resource status with errors, expiry, Extend / Stop. */
export function sessionCard(ctx: Pick<ChatSessionContext, 'view' | 'requester'>): { text: string; blocks: Block[] } {
  const v = ctx.view;
  const text = `EntryGuard session ${shortId(v.id)}: ${stateBadge(v.state).replace(/^:[a-z_]+: /, '')}`;
  const fields: types.MrkdwnElement[] = [
    { type: 'mrkdwn', text: `*State*\n${stateBadge(v.state)}` },
    { type: 'mrkdwn', text: `*User*\n${mention(ctx.requester)}` },
    { type: 'mrkdwn', text: `*Addresses*\n${ipsText(v)}` },
    { type: 'mrkdwn', text: `*Duration*\n${durationText(v.durationMinutes)}` },
  ];
  if (v.expiresAt && v.state !== 'AWAITING_CONFIRMATION') fields.push({ type: 'mrkdwn', text: `*${v.endedAt ? 'Ended' : 'Expires'}*\n${slackDate(v.endedAt ?? v.expiresAt)}` });
  if (v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length) fields.push({ type: 'mrkdwn', text: `*Waiting for approval by*\n${v.approval.waitingFor.map((x) => slackText(x)).join(', ')}` });
  if (v.endedReason) fields.push({ type: 'mrkdwn', text: `*Reason*\n${v.endedReason.toLowerCase().replace(/_/g, ' ')}` });
  const lines = resourceLines(v);
  const blocks: Block[] = [
    { type: 'section', block_id: 'session_head', text: { type: 'mrkdwn', text: `*EntryGuard session* \`${shortId(v.id)}\`` } },
    { type: 'section', block_id: 'session_fields', fields },
    {
      type: 'section',
      block_id: 'session_resources',
      text: { type: 'mrkdwn', text: `*Resources (${new Set(v.rules.map((r) => r.resourceId)).size})*\n${lines.join('\n') || '_none_'}`.slice(0, 3000) },
    },
  ];
  const buttons: types.Button[] = [];
  const captured = v.ipv4 ?? v.ipv6;
  if (v.state === 'AWAITING_CONFIRMATION' && captured) {
    const deadline = v.expiresAt ? ` by ${slackDate(v.expiresAt)}` : '';
    blocks.splice(1, 0, {
      type: 'section',
      block_id: 'session_confirm',
      text: { type: 'mrkdwn', text: `Your link was confirmed in a browser at \`${captured}\`. *If that is you*, press *Open for ${captured}*${deadline}. If not, press *Stop*: nothing is open yet.` },
    });
    buttons.push({ type: 'button', action_id: ACTION.sessionConfirm, style: 'primary', text: { type: 'plain_text', text: `Open for ${captured}` }, value: v.id });
  }
  if (v.canExtend) buttons.push(extendButton(v));
  if (LIVE_STATES.includes(v.state)) {
    buttons.push({ type: 'button', action_id: ACTION.sessionStop, style: 'danger', text: { type: 'plain_text', text: 'Stop' }, value: v.id });
  }
  if (buttons.length) blocks.push({ type: 'actions', block_id: 'session_controls', elements: buttons });
  return { text, blocks };
}
