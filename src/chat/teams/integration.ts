import type { FastifyPluginAsync } from 'fastify';
import type { ChatNotifier } from '../../engine/ports.ts';
import { createTeamsBot } from './bot.ts';
import type { TeamsHandlerDeps } from './handler-deps.ts';
import { createTeamsNotifier } from './notifier.ts';
import { teamsRoutes } from './routes.ts';
import { createTeamsTransport, type TeamsTransportSettings } from './transport/adapter.ts';
import { TEAMS_CLOUD_SETTINGS } from './transport/clouds.ts';

export interface TeamsSettings extends TeamsTransportSettings {
  /** NODE_ENV: local mode (no app id, no JWT check) is refused in production. */
  nodeEnv: string;
  /** For proactive posts when no conversation told us the tenant's region; default: the cloud's global one. */
  defaultServiceUrl?: string;
}

export interface TeamsIntegration {
  notifier: ChatNotifier;
  /** POST /api/messages for the HTTP server. */
  routes: FastifyPluginAsync;
  /** True when inbound activities are checked (an app id is configured). */
  authEnabled: boolean;
}

/**
 * Teams: the bot on POST /api/messages and the notifier that keeps cards up to date. Without
 * TEAMS_APP_ID it runs in local mode for the Agents Playground / Bot Framework Emulator, which
 * accepts unsigned activities — from loopback peers only, replying to loopback service URLs only
 * (routes.ts, transport/adapter.ts) — and is a configuration error in production.
 */
export function createTeamsIntegration(handlers: Omit<TeamsHandlerDeps, 'transport'>, s: TeamsSettings): TeamsIntegration {
  if (!s.appId && s.nodeEnv === 'production') {
    throw new Error('Teams local mode (no TEAMS_APP_ID) accepts unsigned activities and is refused when NODE_ENV=production: set TEAMS_APP_ID and TEAMS_APP_PASSWORD');
  }
  if (s.appId && !s.appPassword && !s.outboundToken) throw new Error('TEAMS_APP_PASSWORD is required with TEAMS_APP_ID');
  if (!s.appId) {
    handlers.logger.warn(
      'Teams local mode (TEAMS_LOCAL=true): activities are accepted WITHOUT a Bot Framework token, from this machine only (loopback peers, no proxy), ' +
        'and replies go only to a service URL on this machine. Anyone who can run a program here can act as any Teams user EntryGuard knows: ' +
        'use it with the Agents Playground or the Emulator on your own computer, never on a shared host',
    );
  }
  const transport = createTeamsTransport(s);
  const deps: TeamsHandlerDeps = { ...handlers, transport };
  return {
    notifier: createTeamsNotifier({ db: handlers.engine.db, transport, defaultServiceUrl: s.defaultServiceUrl ?? TEAMS_CLOUD_SETTINGS[s.cloud ?? 'public'].defaultServiceUrl, logger: handlers.logger }),
    routes: teamsRoutes({ transport, bot: createTeamsBot(deps), logger: handlers.logger }),
    authEnabled: transport.authEnabled,
  };
}
