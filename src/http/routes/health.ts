import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import type { Readiness } from '../readiness.ts';

export interface HealthRouteOptions {
  readiness: () => Promise<Readiness>;
  metrics: Metrics;
}

/**
 * Probes and metrics. /healthz says the process serves (liveness: never depends on the
 * database, or an outage would restart every pod); /readyz says it can do its job.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthRouteOptions): Promise<void> {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    let result: Readiness;
    try {
      result = await opts.readiness();
    } catch (err) {
      request.log.error({ err }, 'readiness check threw');
      result = { database: false, worker: false, detail: 'readiness check failed' };
    }
    const ready = result.database && result.worker;
    if (!ready) request.log.warn({ readiness: result }, 'not ready');
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      // Which check failed, but not why: the detail (hosts, errors) is for the log only.
      .send({ status: ready ? 'ready' : 'unavailable', database: result.database, worker: result.worker });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.header('content-type', opts.metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
