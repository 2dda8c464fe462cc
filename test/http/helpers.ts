import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Logger } from 'pino';
import { createApiKey, type ApiScope } from '../../src/engine/api-keys.ts';
import { systemActor } from '../../src/engine/audit.ts';
import { countSessionsByState } from '../../src/engine/session-stats.ts';
import { createMetrics, type Metrics } from '../../src/http/metrics.ts';
import type { Readiness } from '../../src/http/readiness.ts';
import { createHttpServer, type HttpDeps } from '../../src/http/server.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';

export const PUBLIC_URL = 'https://eg.example.test';

export interface TestServer {
  app: FastifyInstance;
  metrics: Metrics;
}

/** The real server on the test engine; not listening unless the test calls `listen`. */
export async function createTestServer(t: TestEngine, opts: Partial<Omit<HttpDeps, 'engine'>> & { logger?: Logger } = {}): Promise<TestServer> {
  const metrics = opts.metrics ?? createMetrics({ sessionCounts: () => countSessionsByState(t.deps.db), logger: t.deps.logger, processMetrics: false });
  const ready: Readiness = { database: true, worker: true };
  const app = await createHttpServer({
    engine: t.deps,
    logger: opts.logger ?? t.deps.logger,
    publicUrl: opts.publicUrl ?? PUBLIC_URL,
    publicUrlV4: opts.publicUrlV4,
    publicUrlV6: opts.publicUrlV6,
    trustProxy: opts.trustProxy ?? [],
    claimTtlSeconds: opts.claimTtlSeconds ?? 300,
    readiness: opts.readiness ?? (async () => ready),
    metrics,
    rateLimitPerMinute: opts.rateLimitPerMinute,
    metricsToken: opts.metricsToken,
    chatRoutes: opts.chatRoutes,
    version: opts.version,
  });
  return { app, metrics };
}

/**
 * A test engine and the real server for the whole file: created before its tests (then `ready`
 * runs, to seed), closed after them.
 */
export function useTestServer(ready: (t: TestEngine, app: FastifyInstance) => Promise<void>, opts: Parameters<typeof createTestServer>[1] = {}): void {
  let t: TestEngine | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    t = await createTestEngine();
    ({ app } = await createTestServer(t, opts));
    await ready(t, app);
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });
}

/** An API key for `user` with the given scopes; returns the token to send. */
export async function keyFor(t: TestEngine, user: { id: string; orgId: string }, scopes: ApiScope[], opts: { expiresAt?: Date } = {}) {
  const key = await createApiKey(t.deps.db, {
    orgId: user.orgId,
    userId: user.id,
    name: `test-${scopes.join('+') || 'none'}`,
    scopes,
    now: t.clock.now(),
    ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
    actor: systemActor(user.orgId, 'test'),
  });
  return key;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A port that was free a moment ago, for servers whose PUBLIC_URL must name their own port. */
export { freePort } from '../helpers/free-port.ts';

/** `name=value` pairs from Set-Cookie headers, ready for a Cookie header. */
export function cookieHeader(setCookie: string | string[] | undefined): string {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  return list.map((c) => c.split(';')[0]).join('; ');
}

/** The hidden CSRF field's value on a claim page. */
export function csrfField(page: string): string | undefined {
  return /name="csrf" value="([^"]+)"/.exec(page)?.[1];
}

/** `entryguard_auth_rejected_total{reason}` as /metrics shows it now (0 before the first). */
export async function authRejections(app: FastifyInstance, reason: string, headers: Record<string, string> = {}): Promise<number> {
  const text = (await app.inject({ url: '/metrics', headers })).body;
  return Number(new RegExp(`^entryguard_auth_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}
