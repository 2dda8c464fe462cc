import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';

/**
 * The process's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * two instances in one test process do not collide). Created in main/ and shared by the HTTP
 * server (which serves /metrics) and the worker (which observes syncs and provider calls).
 */
export interface Metrics {
  readonly registry: Registry;
  /** Seconds per HTTP request, by route pattern (never the raw URL: claim tokens live in it). */
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status_code'>;
  /** Sessions per live or ending state; read from the database on every scrape. */
  readonly sessionsByState: Gauge<'state'>;
  /** Seconds per resource sync, by provider kind and outcome (`ok`, `partial`, `failed`, `retry`). */
  readonly syncDuration: Histogram<'kind' | 'outcome'>;
  /** Calls made to a cloud provider's API, by provider kind. */
  readonly providerCalls: Counter<'kind'>;
  /** Requests refused before anyone was identified, by reason (auth-rejections.ts); never audited. */
  readonly authRejected: Counter<'reason'>;
}

export interface MetricsOptions {
  /** Counts by session state (engine/session-stats.ts); without it the gauge stays empty. */
  sessionCounts?: () => Promise<Record<string, number>>;
  logger?: Logger;
  /** Default process metrics (CPU, memory, event loop); on unless turned off. */
  processMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const { sessionCounts, logger } = opts;
  const httpRequestDuration = new Histogram({
    name: 'entryguard_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const sessionsByState = new Gauge({
    name: 'entryguard_sessions',
    help: 'Sessions currently in each live or ending state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (!sessionCounts) return;
      try {
        const counts = await sessionCounts();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      } catch (err) {
        // A scrape must still answer when the database is down; the gauge keeps its last values.
        logger?.warn({ err }, 'could not count sessions for /metrics');
      }
    },
  });
  const syncDuration = new Histogram({
    name: 'entryguard_sync_duration_seconds',
    help: 'Duration of one resource sync (one provider change), by provider kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const providerCalls = new Counter({
    name: 'entryguard_provider_calls_total',
    help: 'Calls made to cloud provider APIs, by provider kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const authRejected = new Counter({
    name: 'entryguard_auth_rejected_total',
    help: 'Requests refused before anyone was identified (bad Slack signature, bad Teams token, missing or invalid API key, bad metrics token), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return { registry, httpRequestDuration, sessionsByState, syncDuration, providerCalls, authRejected };
}
