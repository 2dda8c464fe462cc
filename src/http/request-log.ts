import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authRejection } from './auth-rejections.ts';
import type { Metrics } from './metrics.ts';

/** Probes and scrapes come every few seconds; logging them at info would drown everything else. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The route pattern, never the raw URL: claim tokens travel in the path, and raw paths of
 * unknown routes would also make metric labels unbounded.
 */
export function routeLabel(request: FastifyRequest): string {
  return request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
}

/**
 * One JSON log line and one histogram sample per request, and a count of requests turned away
 * unauthenticated. Headers are not logged at all (they
 * carry API keys and cookies), and neither are bodies.
 */
export function installRequestLog(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = routeLabel(request);
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequestDuration.observe({ route, method: request.method, status_code: String(reply.statusCode) }, seconds);
    const rejected = authRejection(request, reply.statusCode, route);
    if (rejected) metrics.authRejected.inc({ reason: rejected });
    const line = { method: request.method, route, statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 10) / 10, clientIp: request.clientIp };
    if (QUIET_ROUTES.has(route) && reply.statusCode < 400) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}
