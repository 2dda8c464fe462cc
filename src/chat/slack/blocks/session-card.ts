import type { types } from '@slack/bolt';
import { SLACK_LIMITS, slackText } from '../escape.ts';
import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import { ACTION } from '../ids.ts';
import { LIVE_STATES } from '../../../engine/state-machine.ts';
import { durationText, endedWhy, ipsText, mention, resourceLines, shortId, slackDate, stateBadge } from '../format.ts';
import { BLOCK_KIT, fieldsSection, fit, fitList, section } from './limits.ts';
import { extendControl, stopButton } from './controls.ts';

type Block = types.KnownBlock;

export { extendButton, extendValue, parseExtendValue } from './controls.ts';

/** The session card: state badge, reason, IPs, per-resource status with errors, expiry, Extend / Stop. */
export function sessionCard(ctx: Pick<ChatSessionContext, 'view' | 'requester'>): { text: string; blocks: Block[] } {
  const v = ctx.view;
  const text = `EntryGuard session ${shortId(v.id)}: ${stateBadge(v.state).replace(/^:[a-z_]+: /, '')}`;
  const fields = [`*State*\n${stateBadge(v.state)}`, `*User*\n${mention(ctx.requester)}`, `*Addresses*\n${ipsText(v)}`, `*Duration*\n${durationText(v.totalMinutes)}`];
  if (v.expiresAt && v.state !== 'AWAITING_CONFIRMATION') fields.push(`*${v.endedAt ? 'Ended' : 'Expires'}*\n${slackDate(v.endedAt ?? v.expiresAt)}`);
  if (v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length) fields.push(`*Waiting for approval by*\n${v.approval.waitingFor.map((x) => slackText(x)).join(', ')}`);
  if (v.endedReason) fields.push(`*Ended because*\n${endedWhy(v.endedReason)}`);
  const resourceCount = new Set(v.rules.map((r) => r.resourceId)).size;
  const blocks: Block[] = [section(`*EntryGuard session* \`${shortId(v.id)}\``, 'session_head')];
  if (v.reason) blocks.push(section(`*Reason*\n${slackText(v.reason, SLACK_LIMITS.reason)}`, 'session_reason'));
  blocks.push(fieldsSection(fields, 'session_fields'), section(fitList(`*Resources (${resourceCount})*`, resourceLines(v).length ? resourceLines(v) : ['_none_']), 'session_resources'));
  const buttons: (types.Button | types.StaticSelect)[] = [];
  const captured = v.ipv4 ?? v.ipv6;
  if (v.state === 'AWAITING_CONFIRMATION' && captured) {
    const deadline = v.expiresAt ? ` by ${slackDate(v.expiresAt)}` : '';
    blocks.splice(1, 0, section(`Your link was confirmed in a browser at \`${captured}\`. *If that is you*, press *Open for ${captured}*${deadline}. If not, press *Stop*: nothing is open yet.`, 'session_confirm'));
    buttons.push({ type: 'button', action_id: ACTION.sessionConfirm, style: 'primary', text: { type: 'plain_text', text: fit(`Open for ${captured}`, BLOCK_KIT.buttonText) }, value: v.id });
  }
  const extend = v.canExtend ? extendControl(v) : undefined;
  if (extend) buttons.push(extend);
  if (LIVE_STATES.includes(v.state)) buttons.push(stopButton(v));
  if (buttons.length) blocks.push({ type: 'actions', block_id: 'session_controls', elements: buttons });
  return { text, blocks };
}
