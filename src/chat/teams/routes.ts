import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../shared/logger.ts';
import { MESSAGES_PATH } from './ids.ts';
import type { TeamsTransport } from './transport/adapter.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { InboundActivity } from './types.ts';

/** Activities are small; a card click is a few kilobytes. */
const BODY_LIMIT = 256 * 1024;

/**
 * POST /api/messages as its own encapsulated plugin: JSON body, then the transport
 * authenticates (401 before anything runs) and hands the turn to the bot. An activity we cannot
 * read is a 400, not botbuilder's 500.
 */
export function teamsRoutes(p: { transport: TeamsTransport; bot: (turn: TeamsTurn) => Promise<void>; logger: Logger }): FastifyPluginAsync {
  return async (app) => {
    app.post(MESSAGES_PATH, { bodyLimit: BODY_LIMIT }, async (req, reply) => {
      const body = req.body;
      if (!InboundActivity.safeParse(body).success) return reply.code(400).send({ error: 'Not a Bot Framework activity' });
      const res = await p.transport.process(req.headers.authorization ?? '', body as Record<string, unknown>, p.bot).catch((err: unknown) => {
        p.logger.error({ err }, 'teams: activity failed');
        return { status: 500, body: { error: 'Internal error' } };
      });
      if (res.status === 401) p.logger.warn({ ip: req.ip, reason: 'reason' in res ? res.reason : undefined }, 'teams: rejected an activity without a valid Bot Framework token');
      return reply.code(res.status).send(res.body ?? '');
    });
  };
}
