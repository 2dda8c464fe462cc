import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.ts';
import { isLoopbackIp } from '../../shared/ip.ts';
import type { Metrics } from '../metrics.ts';
import type { Readiness } from '../readiness.ts';

export interface HealthRouteOptions {
  readiness: () => Promise<Readiness>;
  metrics: Metrics;
  /** When set, /metrics wants `Authorization: Bearer <token>`; unset, it answers loopback callers only. */
  metricsToken?: string | undefined;
}

/**
 * Probes and metrics. /healthz says the process serves (liveness: never depends on the
 * database, or an outage would restart every pod); /readyz says it can do its job.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthRouteOptions): Promise<void> {
  app.get('/healthz', { config: { rateLimit: false } }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', { config: { rateLimit: false } }, async (request, reply) => {
    let result: Readiness;
    try {
      result = await opts.readiness();
    } catch (err) {
      request.log.error({ err }, 'readiness check threw');
      result = { database: false, worker: false, detail: 'readiness check failed' };
    }
    const ready = result.database && result.worker;
    if (!ready) request.log.warn({ readiness: result }, 'not ready');
    else if (result.heldByDeadWorkers) request.log.warn({ readiness: result }, 'work is held by dead worker processes');
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      // Which check failed, but not why: the detail (hosts, errors) is for the log only.
      .send({
        status: ready ? 'ready' : 'unavailable',
        database: result.database,
        worker: result.worker,
        ...(result.heldByDeadWorkers !== undefined ? { heldByDeadWorkers: result.heldByDeadWorkers } : {}),
      });
  });

  // Metrics name routes, states and counts: not secrets, but nothing the internet needs either.
  app.get('/metrics', { config: { rateLimit: false } }, async (request, reply) => {
    checkMetricsAccess(request, opts.metricsToken);
    const text = await opts.metrics.registry.metrics();
    return reply.header('content-type', opts.metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}

function checkMetricsAccess(request: FastifyRequest, token: string | undefined): void {
  if (token === undefined) {
    const ip = request.clientIp;
    if (ip && isLoopbackIp(ip)) return;
    throw new AppError('FORBIDDEN', 'Metrics are served to this machine only; set METRICS_TOKEN to scrape them from elsewhere.');
  }
  const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(given), digest(token))) throw new AppError('UNAUTHORIZED', 'Send the metrics token as a bearer token.');
}
