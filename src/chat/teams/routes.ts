import type { FastifyPluginAsync } from 'fastify';
import { isLoopbackIp } from '../../shared/ip.ts';
import type { Logger } from '../../shared/logger.ts';
import { MESSAGES_PATH } from './ids.ts';
import type { TeamsTransport } from './transport/adapter.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { InboundActivity } from './types.ts';

/**
 * The largest activity Teams sends us, refused (413) past it before the token is checked. A post
 * in Teams holds about 28 KB, counting text, links and mentions ("Limits and specifications for
 * Microsoft Teams", https://learn.microsoft.com/microsoftteams/limits-specifications-teams), and
 * Bot Framework message activities carry it twice (`text`, and the `text/html` attachment);
 * Microsoft counts in UTF-16, where UTF-8 needs up to 1.5 times as many bytes. 2 × 28 KB × 1.5
 * = 84 KB, plus the envelope (ids, channelData, entities). A card click (`invoke`) carries only
 * the button's data, a few hundred bytes.
 */
export const TEAMS_BODY_LIMIT = 96 * 1024;

/**
 * POST /api/messages as its own encapsulated plugin: JSON body, then the transport
 * authenticates (401 before anything runs) and hands the turn to the bot. An activity we cannot
 * read is a 400, not botbuilder's 500.
 */
export function teamsRoutes(p: { transport: TeamsTransport; bot: (turn: TeamsTurn) => Promise<void>; logger: Logger }): FastifyPluginAsync {
  return async (app) => {
    // Not rate-limited per address (http/rate-limit.ts): every tenant's activities come from Microsoft's.
    app.post(MESSAGES_PATH, { bodyLimit: TEAMS_BODY_LIMIT, config: { rateLimit: false } }, async (req, reply) => {
      if (!p.transport.authEnabled && !isLocalRequest(req.socket.remoteAddress, req.headers)) {
        p.logger.warn({ peer: req.socket.remoteAddress }, 'teams: local mode refused an activity that did not come straight from this machine');
        return reply.code(403).send({ error: 'Teams local mode accepts activities from this machine only' });
      }
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

/** Headers a proxy adds: in local mode a request that went through one is not a local tool's. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/**
 * Local mode trusts unsigned activities, so it takes them only from a program on this machine:
 * the socket's peer is loopback (never a forwarded header, which the caller writes) and no proxy
 * passed the request on — a reverse proxy on this host would make everyone look local.
 */
function isLocalRequest(peer: string | undefined, headers: Record<string, unknown>): boolean {
  return peer !== undefined && isLoopbackIp(peer) && FORWARDING_HEADERS.every((h) => headers[h] === undefined);
}
