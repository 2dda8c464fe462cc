import { App, type Receiver } from '@slack/bolt';
import { registerActions } from './actions.ts';
import { toBoltLogger } from './bolt-logger.ts';
import { registerCommands } from './commands.ts';
import type { SlackHandlerDeps } from './handler-deps.ts';

export interface SlackAppOptions {
  handlers: SlackHandlerDeps;
  botToken: string;
  /** A custom receiver (HTTP mode on fastify) or, with `appToken`, Socket Mode. */
  receiver?: Receiver;
  appToken?: string;
  /** Web API base URL (tests point it at a loopback fake). */
  slackApiUrl?: string;
}

/**
 * The Bolt app with every listener. `tokenVerificationEnabled: false` keeps the constructor
 * from calling auth.test: starting never depends on Slack being reachable, and we handle no
 * message events, which is what Bolt's bot id is for.
 */
export function createSlackApp(o: SlackAppOptions): App {
  const logger = toBoltLogger(o.handlers.logger);
  const app = new App({
    token: o.botToken,
    tokenVerificationEnabled: false,
    logger,
    // Listeners run after the ack, so a short retry on users.info is fine; Bolt's default
    // (ten retries over half an hour) would keep a user waiting for nothing.
    clientOptions: { retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 }, ...(o.slackApiUrl ? { slackApiUrl: o.slackApiUrl } : {}) },
    ...(o.appToken ? { socketMode: true, appToken: o.appToken } : { receiver: o.receiver }),
  });
  app.error(async (err) => {
    o.handlers.logger.error({ err }, 'slack: unhandled listener error');
  });
  registerCommands(app, o.handlers);
  registerActions(app, o.handlers);
  return app;
}
