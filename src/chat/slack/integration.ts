import { SocketModeReceiver } from '@slack/bolt';
import type { FastifyPluginAsync } from 'fastify';
import type { ChatNotifier } from '../../engine/ports.ts';
import { createSlackApp } from './app.ts';
import { toBoltLogger } from './bolt-logger.ts';
import { createFastifyReceiver } from './fastify-receiver.ts';
import type { SlackHandlerDeps } from './handler-deps.ts';
import { clientsFor, installedTokens, singleToken } from './installations.ts';
import { createSlackNotifier } from './notifier.ts';
import { oauthRoutes } from './oauth.ts';
import { createTokenSealer } from './seal.ts';

export interface SlackSettings {
  /** One workspace: its bot token (SLACK_BOT_TOKEN). */
  botToken?: string | undefined;
  /** Many workspaces: the app's OAuth credentials; installations are stored in Postgres. */
  oauth?: { clientId: string; clientSecret: string } | undefined;
  /** HTTP mode: required to verify requests. */
  signingSecret?: string | undefined;
  /** Socket Mode (local use, no public URL): when set, no HTTP endpoint is mounted. */
  appToken?: string | undefined;
  slackApiUrl?: string | undefined;
  /** Bolt's 3 s ack limit; tests shorten it. */
  ackTimeoutMs?: number;
  /** False in a worker-only process: notifications go out, nothing is received. */
  receive?: boolean;
  /** Slack's OAuth consent page (tests). */
  authorizeUrl?: string;
}

export interface SlackIntegration {
  notifier: ChatNotifier;
  /** /slack/events (and the OAuth install routes) for the HTTP server; undefined in Socket Mode. */
  routes: FastifyPluginAsync | undefined;
  /** Connects Socket Mode (a no-op in HTTP mode). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when every acknowledged request has finished its slow work (tests, shutdown). */
  settled(): Promise<void>;
}

const idle = async () => undefined;

/**
 * Slack: the Bolt app over HTTP (signed requests on the project's fastify server) or Socket
 * Mode, and the notifier that keeps cards up to date; for one workspace (bot token) or many
 * (OAuth installations, tokens sealed in Postgres).
 */
export function createSlackIntegration(handlers: SlackHandlerDeps, s: SlackSettings): SlackIntegration {
  const sealer = s.oauth ? createTokenSealer(s.oauth.clientSecret) : undefined;
  const tokens = s.botToken ? singleToken(s.botToken) : sealer ? installedTokens(handlers.engine.db, sealer, handlers.logger) : undefined;
  if (!tokens) throw new Error('Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth install)');
  const notifier = createSlackNotifier({ db: handlers.engine.db, clients: clientsFor(tokens, s.slackApiUrl), logger: handlers.logger });
  if (s.receive === false) return { notifier, routes: undefined, start: idle, stop: idle, settled: idle };
  if (s.appToken) {
    // Built here rather than by Bolt so the connection's Web API calls (apps.connections.open)
    // honour slackApiUrl too: Bolt does not pass its clientOptions on to Socket Mode.
    const receiver = new SocketModeReceiver({
      appToken: s.appToken,
      logger: toBoltLogger(handlers.logger),
      ...(s.slackApiUrl ? { installerOptions: { clientOptions: { slackApiUrl: s.slackApiUrl } } } : {}),
    });
    const app = createSlackApp({ handlers, tokens, receiver, slackApiUrl: s.slackApiUrl });
    return { notifier, routes: undefined, start: async () => void (await app.start()), stop: async () => void (await app.stop()), settled: idle };
  }
  if (!s.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
  const receiver = createFastifyReceiver({ signingSecret: s.signingSecret, logger: handlers.logger, ackTimeoutMs: s.ackTimeoutMs });
  createSlackApp({ handlers, tokens, receiver, slackApiUrl: s.slackApiUrl });
  const oauth =
    s.oauth && sealer
      ? oauthRoutes(
          { db: handlers.engine.db, logger: handlers.logger, sealer },
          { ...s.oauth, publicUrl: handlers.publicUrl, slackApiUrl: s.slackApiUrl, ...(s.authorizeUrl ? { authorizeUrl: s.authorizeUrl } : {}) },
        )
      : undefined;
  const routes: FastifyPluginAsync = async (f) => {
    await f.register(receiver.routes);
    if (oauth) await f.register(oauth);
  };
  return { notifier, routes, start: idle, stop: async () => void (await receiver.stop()), settled: () => receiver.settled() };
}
