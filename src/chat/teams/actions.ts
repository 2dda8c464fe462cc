import { z } from 'zod';
import { loadChatSessionContext } from '../../engine/chat-session-context.ts';
import { confirmAddress } from '../../engine/confirm-address.ts';
import { decideApproval } from '../../engine/decide-approval.ts';
import { extendSession } from '../../engine/extend-session.ts';
import { stopSession } from '../../engine/stop-session.ts';
import { isAppError } from '../../shared/errors.ts';
import { approvalCard } from './cards/approval-card.ts';
import { sessionCard } from './cards/session-card.ts';
import { shortId, teamsDate } from './format.ts';
import { errorText, identify, type TeamsHandlerDeps, type TeamsMe } from './handler-deps.ts';
import { EXTEND_BUTTON_MINUTES, VERB, type Verb } from './ids.ts';
import type { TeamsTurn } from './transport/turn.ts';
import type { InboundActivity, InvokeAnswer } from './types.ts';

/** A card button's data. Never trusted for *who*: that is the clicker's AAD id, checked by the engine. */
const ActionData = z.looseObject({ sessionId: z.string().min(1), ifExpiresAt: z.number().nullish(), roleId: z.string().nullish() });

/** Action.Execute: an `adaptiveCard/action` invoke, answered synchronously with a card. */
const ExecuteValue = z.object({ action: z.looseObject({ type: z.literal('Action.Execute'), verb: z.string(), data: ActionData }) });

/** The Action.Submit fallback: a message whose value carries the verb. */
const SubmitValue = ActionData.extend({ verb: z.string() });

const VERBS = new Set<string>(Object.values(VERB));

/**
 * Card buttons. The engine enforces who may do what (owner or admin for Extend/Stop; the role's
 * approvers, never the requester, for approvals) and audits refusals. The clicker gets the
 * refreshed card (or why not) in the invoke answer; the notifier then edits the posted card
 * for everyone from the new state.
 */
export async function handleExecute(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<void> {
  const v = ExecuteValue.safeParse(a.value);
  if (!v.success || !VERBS.has(v.data.action.verb)) return turn.answerInvoke({ kind: 'message', text: 'This button is not supported (any more).' });
  await turn.answerInvoke(await act(deps, turn, a, v.data.action.verb as Verb, v.data.action.data));
}

export async function handleSubmit(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<void> {
  const v = SubmitValue.safeParse(a.value);
  if (!v.success || !VERBS.has(v.data.verb)) return;
  const answer = await act(deps, turn, a, v.data.verb as Verb, v.data);
  if (answer.kind === 'message') await turn.reply({ text: answer.text });
}

async function act(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, verb: Verb, data: z.infer<typeof ActionData>): Promise<InvokeAnswer> {
  try {
    const me = await identify(deps, turn, a);
    const said = await run(deps, me, verb, data);
    if (said) return { kind: 'message', text: said };
    const ctx = await loadChatSessionContext(deps.engine.db, data.sessionId, 'teams');
    if (!ctx) return { kind: 'message', text: 'That session no longer exists.' };
    if (verb === VERB.approvalApprove || verb === VERB.approvalDeny) {
      const role = ctx.approvals.find((r) => r.roleId === data.roleId) ?? ctx.approvals[0];
      if (role) return { kind: 'card', card: approvalCard(ctx, role) };
    }
    return { kind: 'card', card: sessionCard(ctx) };
  } catch (err) {
    // The engine hides other people's sessions as "not found"; on a card everyone can see, the
    // honest answer is that the button is not theirs to press.
    if (isAppError(err) && err.code === 'SESSION_NOT_FOUND') return { kind: 'message', text: '⛔ Only the person who started this session or an admin can do that.' };
    return { kind: 'message', text: errorText(deps, err) };
  }
}

/** Does it; returns a message when there is news the card cannot show (a repeat), else undefined. */
async function run(deps: TeamsHandlerDeps, me: TeamsMe, verb: Verb, data: z.infer<typeof ActionData>): Promise<string | undefined> {
  const { sessionId } = data;
  switch (verb) {
    case VERB.sessionExtend: {
      const ifExpiresAt = typeof data.ifExpiresAt === 'number' ? new Date(data.ifExpiresAt) : undefined;
      const r = await extendSession(deps.engine, { sessionId, additionalMinutes: EXTEND_BUTTON_MINUTES, ifExpiresAt, actor: me.actor });
      return r.addedMinutes === 0 ? `Already extended: session ${shortId(sessionId)} ends ${teamsDate(r.expiresAt)}.` : undefined;
    }
    case VERB.sessionStop: {
      const r = await stopSession(deps.engine, { sessionId, actor: me.actor });
      return r.alreadyEnded ? `Session ${shortId(sessionId)} had already ended.` : undefined;
    }
    case VERB.sessionConfirm: {
      const r = await confirmAddress(deps.engine, { sessionId, actor: me.actor });
      return r.alreadyDone ? `Session ${shortId(sessionId)} is no longer waiting for you to confirm.` : undefined;
    }
    case VERB.approvalApprove:
    case VERB.approvalDeny: {
      const role = data.roleId ?? undefined;
      const r = await decideApproval(deps.engine, { sessionId, decision: verb === VERB.approvalApprove ? 'approve' : 'deny', role, actor: me.actor });
      return r.alreadyDecided ? `This request was already answered (${r.status.toLowerCase().replace('_', ' ')}).` : undefined;
    }
  }
}
