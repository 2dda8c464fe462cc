import { SocketModeReceiver } from '@slack/bolt';
import type { FastifyPluginAsync } from 'fastify';
import { toBoltLogger } from './bolt-logger.ts';
import type { ChatNotifier } from '../../engine/ports.ts';
import { createSlackApp } from './app.ts';
import { singleWorkspaceClients } from './clients.ts';
import { createFastifyReceiver } from './fastify-receiver.ts';
import type { SlackHandlerDeps } from './handler-deps.ts';
import { createSlackNotifier } from './notifier.ts';

export interface SlackSettings {
  botToken: string;
  /** HTTP mode: required to verify requests. */
  signingSecret?: string | undefined;
  /** Socket Mode (local use, no public URL): when set, no HTTP endpoint is mounted. */
  appToken?: string | undefined;
  slackApiUrl?: string | undefined;
  /** Bolt's 3 s ack limit; tests shorten it. */
  ackTimeoutMs?: number;
  /** False in a worker-only process: notifications go out, nothing is received. */
  receive?: boolean;
}

export interface SlackIntegration {
  notifier: ChatNotifier;
  /** The /slack/events endpoint for the HTTP server; undefined in Socket Mode. */
  routes: FastifyPluginAsync | undefined;
  /** Connects Socket Mode (a no-op in HTTP mode). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when every acknowledged request has finished its slow work (tests, shutdown). */
  settled(): Promise<void>;
}

/**
 * Slack for one workspace (SLACK_BOT_TOKEN): the Bolt app over HTTP (signed requests on the
 * project's fastify server) or Socket Mode, and the notifier that keeps cards up to date.
 */
export function createSlackIntegration(handlers: SlackHandlerDeps, s: SlackSettings): SlackIntegration {
  const clients = singleWorkspaceClients(s.botToken, s.slackApiUrl);
  const notifier = createSlackNotifier({ db: handlers.engine.db, clients });
  if (s.receive === false) return { notifier, routes: undefined, start: async () => undefined, stop: async () => undefined, settled: async () => undefined };
  if (s.appToken) {
    // Built here rather than by Bolt so the connection's Web API calls (apps.connections.open)
    // honour slackApiUrl too: Bolt does not pass its clientOptions on to Socket Mode.
    const receiver = new SocketModeReceiver({
      appToken: s.appToken,
      logger: toBoltLogger(handlers.logger),
      ...(s.slackApiUrl ? { installerOptions: { clientOptions: { slackApiUrl: s.slackApiUrl } } } : {}),
    });
    const app = createSlackApp({ handlers, botToken: s.botToken, receiver, slackApiUrl: s.slackApiUrl });
    return { notifier, routes: undefined, start: async () => void (await app.start()), stop: async () => void (await app.stop()), settled: async () => undefined };
  }
  if (!s.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
  const receiver = createFastifyReceiver({ signingSecret: s.signingSecret, logger: handlers.logger, ackTimeoutMs: s.ackTimeoutMs });
  createSlackApp({ handlers, botToken: s.botToken, receiver, slackApiUrl: s.slackApiUrl });
  return { notifier, routes: receiver.routes, start: async () => undefined, stop: async () => void (await receiver.stop()), settled: () => receiver.settled() };
}
