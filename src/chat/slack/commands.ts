import type { App, SlashCommand } from '@slack/bolt';
import { codeSafe, slackMessage, slackText } from './escape.ts';
import { createClaim } from '../../engine/claims.ts';
import { listMySessions, listOrgSessions } from '../../engine/session-queries.ts';
import { setApprovalChannel } from '../../engine/set-approval-channel.ts';
import { describeStartOptions } from '../../engine/start-options.ts';
import { commandAttempt } from '../shared/attempt.ts';
import { parseChatCommand, type ChatCommand } from '../shared/command-parse.ts';
import { checkLinkFromChat } from '../shared/check-command.ts';
import { extendFromChat } from '../shared/extend-command.ts';
import { stopFromChat } from '../shared/stop-command.ts';
import { slackDate } from './format.ts';
import { errorReply, identify, type Reply, type SlackHandlerDeps, type SlackMe } from './handler-deps.ts';
import { SLASH_COMMAND } from './ids.ts';
import { deliverReply } from './deliver-reply.ts';
import type { SlackOrigin } from './origin.ts';
import { checkLinkReply, claimReply, helpReply, resourcesReply, sessionsReply, usageReply } from './replies.ts';

/**
 * `/entryguard …`: acknowledged first (Slack's 3 s), then identified, parsed and answered
 * privately through the response_url; nothing slow happens before the ack.
 */
export function registerCommands(app: App, deps: SlackHandlerDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond, client }) => {
    await ack();
    let reply: Reply;
    try {
      const me = await identify(deps, client, command.team_id, command.user_id, commandAttempt(command.text));
      reply = await runCommand(deps, me, parseChatCommand(command.text ?? ''), command);
    } catch (err) {
      reply = errorReply(deps, err);
    }
    await deliverReply({ respond, client, userId: command.user_id, logger: deps.logger }, { response_type: 'ephemeral', text: slackMessage(reply.text), ...(reply.blocks ? { blocks: reply.blocks as never } : {}) });
  });
}

async function runCommand(deps: SlackHandlerDeps, me: SlackMe, cmd: ChatCommand, command: SlashCommand): Promise<Reply> {
  const { engine } = deps;
  const usage = async (about: string, input: string) => usageReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id), about, input);
  switch (cmd.kind) {
    case 'start':
      // A duration not offered is answered by the engine's "8h is not offered on your plan; choose …".
      return start(deps, me, cmd.minutes, cmd.reason, command);
    case 'stop':
      return { text: await stopFromChat(engine, me, cmd.target, inCode) };
    case 'extend':
      return { text: await extendFromChat(engine, me, cmd.target, cmd.minutes, { id: inCode, date: slackDate }) };
    case 'check': {
      const link = await checkLinkFromChat(engine, me, cmd.target, { publicUrl: deps.publicUrl, ttlSeconds: deps.claimTtlSeconds, showId: inCode });
      return checkLinkReply(link.url, link.expiresAt);
    }
    case 'status':
      return sessionsReply(await listMySessions(engine, me.actor, { live: true }), { empty: `You have no running session. Start one with \`${SLASH_COMMAND} start\`.` });
    case 'resources':
      return resourcesReply(await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'help':
      return helpReply(me.user.isAdmin, await describeStartOptions(engine.db, me.user.orgId, me.user.id));
    case 'sessions':
      return sessionsReply(await listOrgSessions(engine, me.actor), { empty: 'No session is running.', withOwner: true });
    case 'approvals-here': {
      const r = await setApprovalChannel(engine, { actor: me.actor, roleName: cmd.role, platform: 'slack', channel: command.channel_id });
      const waiting = r.waiting ? ` ${r.waiting === 1 ? 'The request already waiting is' : `The ${r.waiting} requests already waiting are`} posted here now.` : '';
      return { text: `Approval requests for *${slackText(cmd.role)}* will be posted in this channel.${waiting} Invite the bot here if it is not a member yet.` };
    }
    case 'invalid':
      return usage(cmd.about, cmd.input);
  }
}

async function start(deps: SlackHandlerDeps, me: SlackMe, minutes: number | undefined, reason: string | undefined, command: SlashCommand): Promise<Reply> {
  const originContext: SlackOrigin = {
    teamId: command.team_id,
    channelId: command.channel_id,
    userId: command.user_id,
    responseUrl: command.response_url,
    isDm: command.channel_name === 'directmessage' || command.channel_id.startsWith('D'),
  };
  const claim = await createClaim(deps.engine, {
    orgId: me.user.orgId,
    userId: me.user.id,
    durationMinutes: minutes,
    reason,
    origin: 'slack',
    originContext,
    ttlSeconds: deps.claimTtlSeconds,
    actor: me.actor,
  });
  return claimReply(`${deps.publicUrl.replace(/\/$/, '')}/c/${claim.token}`, claim.durationMinutes, claim.expiresAt, claim.reason);
}

/** Ids in Slack messages are shown as code; a typed one may be anything (escaped with the message). */
const inCode = (id: string) => `\`${codeSafe(id)}\``;
