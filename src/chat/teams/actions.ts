import { z } from 'zod';
import { previewClaim } from '../../engine/claims.ts';
import { loadChatSessionContext, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { loadSessionOrigin } from '../../engine/chat-refs.ts';
import { getSession } from '../../engine/session-queries.ts';
import { isAppError } from '../../shared/errors.ts';
import { approvalCard } from './cards/approval-card.ts';
import { claimCard } from './cards/claim-card.ts';
import { sessionCard } from './cards/session-card.ts';
import { FORM_INPUT } from './cards/start-form.ts';
import { warningCard } from './cards/warning-card.ts';
import { cap } from './escape.ts';
import { errorText, identify, type TeamsHandlerDeps, type TeamsMe } from './handler-deps.ts';
import { CARD_KIND, VERB, type Verb } from './ids.ts';
import { TEAMS_LIMITS } from './limits.ts';
import { TeamsOrigin } from './origin.ts';
import { runButton } from './run-button.ts';
import { issueClaim, personalChat } from './start-flow.ts';
import type { TeamsTurn } from './transport/turn.ts';
import type { InboundActivity, InvokeAnswer } from './types.ts';

/**
 * A card button's data (with the form's inputs merged in by Teams). Never trusted for *who*:
 * that is the clicker's AAD id, checked by the engine.
 */
export const ActionData = z.looseObject({
  sessionId: z.string().min(1).optional(),
  ifExpiresAt: z.number().nullish(),
  minutes: z.number().int().positive().max(24 * 60).optional(),
  roleId: z.string().nullish(),
  /** Which card the button is on; cards from before this field are session or approval cards. */
  card: z.enum(CARD_KIND).optional(),
  claim: z.string().max(200).optional(),
  [FORM_INPUT.duration]: z.string().optional(),
  [FORM_INPUT.reason]: z.string().optional(),
});
export type ActionData = z.infer<typeof ActionData>;

/** Action.Execute: an `adaptiveCard/action` invoke, answered synchronously with a card. */
const ExecuteValue = z.object({ action: z.looseObject({ type: z.literal('Action.Execute'), verb: z.string(), data: ActionData.default({}) }) });

/** The Action.Submit fallback: a message whose value carries the verb. */
const SubmitValue = ActionData.extend({ verb: z.string() });

const VERBS = new Set<string>(Object.values(VERB));

/**
 * Card buttons (and Teams' refresh of a card). The engine enforces who may do what (owner or
 * admin for Extend/Stop; the role's approvers, never the requester, for approvals) and audits
 * refusals. The clicker gets the new version of the card they clicked (or why not) in the invoke
 * answer; the notifier then edits the posted messages for everyone from the new state.
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
  else await turn.reply({ card: answer.card });
}

async function act(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, verb: Verb, data: ActionData): Promise<InvokeAnswer> {
  try {
    const me = await identify(deps, turn, a);
    if (verb === VERB.sessionStart) return { kind: 'card', card: claimCard(await startFromForm(deps, turn, a, me, data)) };
    if (verb === VERB.cardRefresh && data.card === 'claim') return await refreshClaim(deps, me, a.from.id, data);
    const said = await runButton(deps, turn, a, me, verb, data);
    if (said) return { kind: 'message', text: said };
    if (!data.sessionId) return { kind: 'message', text: 'Done.' };
    // Only what this person may see: someone else's session answers "not found" (below).
    await getSession(deps.engine, me.actor, data.sessionId).catch((err: unknown) => {
      if (verb === VERB.approvalApprove || verb === VERB.approvalDeny) return undefined; // approvers see the request
      throw err;
    });
    const ctx = await loadChatSessionContext(deps.engine.db, data.sessionId, 'teams');
    if (!ctx) return { kind: 'message', text: 'That session no longer exists.' };
    return { kind: 'card', card: await cardAfter(deps, ctx, verb, data) };
  } catch (err) {
    // The engine hides other people's sessions as "not found"; on a card everyone can see, the
    // honest answer is that the button is not theirs to press.
    if (isAppError(err) && err.code === 'SESSION_NOT_FOUND') return { kind: 'message', text: '⛔ Only the person who started this session or an admin can do that.' };
    return { kind: 'message', text: errorText(deps, err) };
  }
}

/** The clicked card as it reads now: a warning stays a warning, an approval card an approval card. */
async function cardAfter(deps: TeamsHandlerDeps, ctx: ChatSessionContext, verb: Verb, data: ActionData) {
  const parsed = TeamsOrigin.safeParse(await loadSessionOrigin(deps.engine.db, ctx.view.id));
  const origin = parsed.success ? parsed.data : undefined;
  if (verb === VERB.approvalApprove || verb === VERB.approvalDeny || data.card === 'approval') {
    const role = ctx.approvals.find((r) => r.roleId === data.roleId) ?? ctx.approvals[0];
    if (role) return approvalCard(ctx, role, { reason: origin?.reason });
  }
  if (data.card === 'warning' && typeof data.ifExpiresAt === 'number') return warningCard(ctx.view, new Date(data.ifExpiresAt));
  return sessionCard(ctx, { refreshFor: origin ? [origin.userId] : [], reason: origin?.reason });
}

/** The form's Start: its claim link replaces the form (so the form's message is the link's). */
async function startFromForm(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe, data: ActionData) {
  const minutes = data.duration ? Number.parseInt(data.duration, 10) : undefined;
  const reason = data.reason?.replace(/\s+/g, ' ').trim();
  const personal = await personalChat(deps, turn, a, me);
  return issueClaim(deps, me, {
    a,
    conversation: turn.conversationRef(),
    personal,
    minutes: Number.isFinite(minutes) ? minutes : undefined,
    reason: reason ? cap(reason, TEAMS_LIMITS.reason) : undefined,
    claimCardId: a.replyToId,
  });
}

/** Teams asks for a claim card's current version when its owner views it: still open, used, or expired. */
async function refreshClaim(deps: TeamsHandlerDeps, me: TeamsMe, teamsUserId: string, data: ActionData): Promise<InvokeAnswer> {
  if (!data.claim) return { kind: 'message', text: 'Nothing to refresh.' };
  const p = await previewClaim(deps.engine, data.claim);
  // The link is its owner's alone: nobody else learns anything from it.
  if (p.userEmail.toLowerCase() !== me.user.email.toLowerCase()) return { kind: 'message', text: 'This link is not yours.' };
  if (p.status === 'expired') return { kind: 'card', card: claimCard({ status: 'expired' }) };
  if (p.status === 'used' || p.status === 'closed') return { kind: 'card', card: claimCard({ status: 'used', sessionId: p.sessionId }) };
  const url = `${deps.publicUrl.replace(/\/$/, '')}/c/${data.claim}`;
  return { kind: 'card', card: claimCard({ status: 'valid', url, token: data.claim, minutes: p.durationMinutes, expiresAt: p.expiresAt, userId: teamsUserId }) };
}
