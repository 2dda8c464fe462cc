import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';
import { createDatabaseGauges, type DatabaseGauges, type DatabaseSources } from './metrics-db-gauges.ts';

/**
 * The process's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * two instances in one test process do not collide). Created in main/ and shared by the HTTP
 * server (which serves /metrics) and the worker (which observes syncs and provider calls).
 */
export interface Metrics extends DatabaseGauges {
  readonly registry: Registry;
  /** Seconds per HTTP request, by route pattern (never the raw URL: claim tokens live in it). */
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status_code'>;
  /** Seconds per resource sync, by provider kind and outcome (`ok`, `partial`, `failed`, `retry`). */
  readonly syncDuration: Histogram<'kind' | 'outcome'>;
  /** Calls made to a cloud provider's API, by provider kind. */
  readonly providerCalls: Counter<'kind'>;
  /** Requests refused before anyone was identified, by reason (auth-rejections.ts); never audited. */
  readonly authRejected: Counter<'reason'>;
  /** Chat notifications a platform failed to take (retried by the job), by platform. */
  readonly notificationFailures: Counter<'platform'>;
  /** Seconds from a session's end to the removal of one of its rules being confirmed, by provider kind. */
  readonly ruleOutlivedSession: Histogram<'kind'>;
}

/** The database sources of the scrape-time gauges (metrics-db-gauges.ts); each one optional. */
export interface MetricsOptions extends DatabaseSources {
  logger?: Logger;
  /** Default process metrics (CPU, memory, event loop); on unless turned off. */
  processMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const httpRequestDuration = new Histogram({
    name: 'entryguard_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const gauges = createDatabaseGauges(registry, opts, opts.logger);
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
  const notificationFailures = new Counter({
    name: 'entryguard_notification_failures_total',
    help: 'Chat notifications a platform failed to take (the job retries them), by platform.',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const ruleOutlivedSession = new Histogram({
    name: 'entryguard_rule_outlived_session_seconds',
    help: 'Seconds from the end of a session to the confirmed removal of one of its firewall rules, by provider kind.',
    labelNames: ['kind'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600],
    registers: [registry],
  });
  return { registry, httpRequestDuration, ...gauges, syncDuration, providerCalls, authRejected, notificationFailures, ruleOutlivedSession };
}
