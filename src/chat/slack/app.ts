import { App, type Receiver } from '@slack/bolt';
import { registerActions } from './actions.ts';
import { toBoltLogger } from './bolt-logger.ts';
import { registerCommands } from './commands.ts';
import type { SlackHandlerDeps } from './handler-deps.ts';
import type { TokenLookup } from './installations.ts';

export interface SlackAppOptions {
  handlers: SlackHandlerDeps;
  /** The bot token of the workspace a request comes from (one token, or OAuth installations). */
  tokens: TokenLookup;
  /** HTTP mode on fastify (FastifyReceiver) or Socket Mode (SocketModeReceiver). */
  receiver: Receiver;
  /** Web API base URL (tests point it at a loopback fake). */
  slackApiUrl?: string;
}

/**
 * The Bolt app with every listener. The token comes through `authorize` rather than `token`:
 * with `token`, Bolt calls auth.test (in the constructor, or before the first request) to
 * learn the bot's ids, which would put a Slack round trip in front of the first acks and make
 * starting depend on Slack. We handle no message events, which is all those ids are for.
 */
export function createSlackApp(o: SlackAppOptions): App {
  const logger = toBoltLogger(o.handlers.logger);
  const app = new App({
    authorize: async (source) => {
      const teamId = source.isEnterpriseInstall ? source.enterpriseId : source.teamId;
      const found = teamId ? await o.tokens(teamId) : undefined;
      // Bolt then acknowledges without running a listener: a workspace that never installed us.
      if (!found) throw new Error(`Slack workspace ${teamId ?? 'unknown'} has not installed EntryGuard`);
      return { ...found, teamId: source.teamId };
    },
    logger,
    // Listeners run after the ack, so a short retry on users.info is fine; Bolt's default
    // (ten retries over half an hour) would keep a user waiting for nothing.
    clientOptions: { retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 }, ...(o.slackApiUrl ? { slackApiUrl: o.slackApiUrl } : {}) },
    receiver: o.receiver,
  });
  app.error(async (err) => {
    o.handlers.logger.error({ err }, 'slack: unhandled listener error');
  });
  registerCommands(app, o.handlers);
  registerActions(app, o.handlers);
  return app;
}
