import { listMySessions, listOrgSessions } from '../../engine/session-queries.ts';
import { setApprovalChannel } from '../../engine/set-approval-channel.ts';
import { describeStartOptions } from '../../engine/start-options.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { CHECK_LINK_TEXT, checkLinkFromChat } from '../shared/check-command.ts';
import { extendFromChat } from '../shared/extend-command.ts';
import { stopFromChat } from '../shared/stop-command.ts';
import { notice } from './cards/elements.ts';
import { parseTeamsCommand, type TeamsCommand } from './command-parse.ts';
import { teamsMessage, teamsText } from './escape.ts';
import { cardTime } from './format.ts';
import { errorText, identify, type TeamsHandlerDeps, type TeamsMe } from './handler-deps.ts';
import { helpReply, resourcesReply, sessionsReply, usageReply } from './replies.ts';
import { replyPrivately, sendStartForm, startTyped } from './start-flow.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { isChannel, isPersonal, type InboundActivity, type OutgoingMessage } from './types.ts';

/**
 * A message to the bot (1:1, or an @mention in a channel with the mention removed): identified,
 * parsed, run through the engine and answered in the same conversation — or privately, for what
 * is the person's own (their sessions, links, forms). Teams allows 15 s per turn; nothing here
 * waits for a cloud call (sessions start in the worker).
 */
export async function handleMessage(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<void> {
  let reply: OutgoingMessage | undefined;
  try {
    const me = await identify(deps, turn, a);
    reply = await runCommand(deps, me, parseTeamsCommand(turn.text), turn, a);
  } catch (err) {
    reply = { text: errorText(deps, err) };
  }
  if (reply) await turn.reply(capped(reply));
}

const capped = (m: OutgoingMessage): OutgoingMessage => (m.text === undefined ? m : { ...m, text: teamsMessage(m.text) });

async function runCommand(deps: TeamsHandlerDeps, me: TeamsMe, cmd: TeamsCommand, turn: TeamsTurn, a: InboundActivity): Promise<OutgoingMessage | undefined> {
  const { engine } = deps;
  const usage = async (about: string, input: string) => usageReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id), about, input);
  switch (cmd.kind) {
    case 'start': {
      if (cmd.minutes === undefined) return sendStartForm(deps, turn, a, me).then(() => undefined);
      const refusal = async (err: unknown): Promise<OutgoingMessage> => {
        if (isAppError(err) && err.code === 'DURATION_NOT_ALLOWED') return capped(await usage('start', turn.text));
        return { text: errorText(deps, err) };
      };
      await startTyped(deps, turn, a, me, { minutes: cmd.minutes, reason: cmd.reason, refusal });
      return undefined;
    }
    case 'stop':
      return { text: await stopFromChat(engine, me, cmd.target, asIs) };
    case 'extend':
      // A card, so the new end shows in the reader's time zone (a TextBlock shows no code spans: the id goes plain).
      return { card: notice((await extendFromChat(engine, me, cmd.target, cmd.minutes, { id: asIs, date: cardTime })).replace(/`/g, '')) };
    case 'check': {
      const link = await checkLinkFromChat(engine, me, cmd.target, { publicUrl: deps.publicUrl, ttlSeconds: deps.claimTtlSeconds, showId: asIs });
      const reply = { text: `${CHECK_LINK_TEXT}, for ${Math.round(deps.claimTtlSeconds / 60)} minutes: [Check my access](${link.url})` };
      if (isPersonal(a)) return reply;
      const personal = await deps.transport.openPersonal({ serviceUrl: a.serviceUrl, tenantId: me.tenantId, userId: a.from.id });
      await deps.transport.inConversation(personal, async (c) => void (await c.send(reply)));
      return { text: 'I sent you the link to check your access in a private chat.' };
    }
    case 'status':
      return privately(deps, turn, a, me, sessionsReply(await listMySessions(engine, me.actor, { live: true }), { empty: 'You have no running session. Start one with **start**.' }), 'status');
    case 'resources':
      return resourcesReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'help':
      return helpReply(me.user.isAdmin, await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'sessions':
      return privately(deps, turn, a, me, sessionsReply(await listOrgSessions(engine, me.actor), { empty: 'No session is running.', withOwner: true }), 'list of sessions');
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

/** Sessions name people and addresses: outside a 1:1 chat they go to the asker privately. */
async function privately(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, me: TeamsMe, msg: OutgoingMessage, what: string): Promise<OutgoingMessage | undefined> {
  if (isPersonal(a)) return msg;
  await replyPrivately(deps, turn, a, me, capped(msg), `I sent you the ${what} in a private chat.`);
  return undefined;
}

const asIs = (id: string) => id;
