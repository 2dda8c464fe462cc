import { createClaim } from '../../engine/claims.ts';
import { listMySessions, listOrgSessions } from '../../engine/session-queries.ts';
import { setApprovalChannel } from '../../engine/set-approval-channel.ts';
import { describeStartOptions } from '../../engine/start-options.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { parseTeamsCommand } from './command-parse.ts';
import type { ChatCommand } from '../shared/command-parse.ts';
import { CHECK_LINK_TEXT, checkLinkFromChat } from '../shared/check-command.ts';
import { extendFromChat } from '../shared/extend-command.ts';
import { stopFromChat } from '../shared/stop-command.ts';
import { teamsDate } from './format.ts';
import { teamsMessage, teamsText } from './escape.ts';
import { errorText, identify, type TeamsHandlerDeps, type TeamsMe } from './handler-deps.ts';
import type { TeamsOrigin } from './origin.ts';
import { claimReply, helpReply, resourcesReply, sessionsReply, usageReply } from './replies.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { isChannel, isPersonal, type InboundActivity, type OutgoingMessage } from './types.ts';

/**
 * A message to the bot (1:1, or an @mention in a channel with the mention removed): identified,
 * parsed, run through the engine and answered in the same conversation. Teams allows 15 s per
 * turn; nothing here waits for a cloud call (sessions start in the worker).
 */
export async function handleMessage(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<void> {
  let reply: OutgoingMessage | undefined;
  try {
    const me = await identify(deps, turn, a);
    reply = await runCommand(deps, me, parseTeamsCommand(turn.text), turn, a);
  } catch (err) {
    reply = { text: errorText(deps, err) };
  }
  if (reply) await turn.reply(reply.text === undefined ? reply : { ...reply, text: teamsMessage(reply.text) });
}

async function runCommand(deps: TeamsHandlerDeps, me: TeamsMe, cmd: ChatCommand, turn: TeamsTurn, a: InboundActivity): Promise<OutgoingMessage | undefined> {
  const { engine } = deps;
  const usage = async (about: string, input: string) => usageReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id), about, input);
  switch (cmd.kind) {
    case 'start':
      return start(deps, me, cmd.minutes, turn, a).catch(async (err: unknown) => {
        if (isAppError(err) && err.code === 'DURATION_NOT_ALLOWED') return usage('start', turn.text);
        throw err;
      });
    case 'stop':
      return { text: await stopFromChat(engine, me, cmd.target, asIs) };
    case 'extend':
      return { text: await extendFromChat(engine, me, cmd.target, cmd.minutes, { id: asIs, date: teamsDate }) };
    case 'check': {
      const link = await checkLinkFromChat(engine, me, cmd.target, { publicUrl: deps.publicUrl, ttlSeconds: deps.claimTtlSeconds, showId: asIs });
      const reply = { text: `${CHECK_LINK_TEXT}, until ${teamsDate(link.expiresAt)}: [Check my access](${link.url})` };
      if (isPersonal(a)) return reply;
      const personal = await deps.transport.openPersonal({ serviceUrl: a.serviceUrl, tenantId: me.tenantId, userId: a.from.id });
      await deps.transport.inConversation(personal, async (c) => void (await c.send(reply)));
      return { text: 'I sent you the link to check your access in a private chat.' };
    }
    case 'status':
      return sessionsReply(await listMySessions(engine, me.actor, { live: true }), { empty: 'You have no running session. Start one with `start`.' });
    case 'resources':
      return resourcesReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'help':
      return helpReply(me.user.isAdmin, await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'sessions':
      return sessionsReply(await listOrgSessions(engine, me.actor), { empty: 'No session is running.', withOwner: true });
    case 'approvals-here': {
      // The channel itself (not the thread the command was typed in): approval cards start new posts there.
      const channel = a.channelData?.channel?.id;
      if (!isChannel(a) || !channel) throw new AppError('VALIDATION_FAILED', 'Say `approvals here ROLE` in the team channel that should approve, with an @mention of me.');
      await setApprovalChannel(engine, { actor: me.actor, roleName: cmd.role, platform: 'teams', channel });
      return { text: `Approval requests for **${teamsText(cmd.role)}** will be posted in this channel.` };
    }
    case 'invalid':
      return usage(cmd.about, cmd.input);
  }
}

/** A claim bound to the user, its link sent 1:1 (never in a channel: the link is theirs alone). */
async function start(deps: TeamsHandlerDeps, me: TeamsMe, minutes: number | undefined, turn: TeamsTurn, a: InboundActivity): Promise<OutgoingMessage | undefined> {
  const conversation = turn.conversationRef();
  const personal = isPersonal(a) ? conversation : await deps.transport.openPersonal({ serviceUrl: a.serviceUrl, tenantId: me.tenantId, userId: a.from.id });
  const originContext: TeamsOrigin = { tenantId: me.tenantId, serviceUrl: a.serviceUrl, userId: a.from.id, conversation, personal };
  const claim = await createClaim(deps.engine, {
    orgId: me.user.orgId,
    userId: me.user.id,
    durationMinutes: minutes,
    origin: 'teams',
    originContext,
    ttlSeconds: deps.claimTtlSeconds,
    actor: me.actor,
  });
  const link = claimReply(`${deps.publicUrl.replace(/\/$/, '')}/c/${claim.token}`, claim.durationMinutes, claim.expiresAt);
  if (isPersonal(a)) return link;
  await deps.transport.inConversation(personal, async (c) => void (await c.send(link)));
  return { text: 'I sent you the link to confirm your IP in a private chat.' };
}

const asIs = (id: string) => id;
