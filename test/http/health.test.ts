import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { countSessionsByState } from '../../src/engine/session-stats.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { createReadinessCheck } from '../../src/http/readiness.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { createTestServer } from './helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t?.close());

describe('/healthz and /readyz', () => {
  it('healthz is 200 while serving; readyz is 200 when the database and the worker are fine', async () => {
    const { app } = await createTestServer(t, { readiness: createReadinessCheck({ db: t.deps.db }) });
    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: true, worker: true });
    await app.close();
  });

  it('readyz is 503 naming the worker when the in-process worker is down', async () => {
    const { app } = await createTestServer(t, { readiness: createReadinessCheck({ db: t.deps.db, workerInProcess: () => false }) });
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', database: true, worker: false });
    await app.close();
  });

  it('a web-only process counts the worker down when jobs wait unclaimed for over a minute', async () => {
    const check = createReadinessCheck({ db: t.deps.db });
    await t.deps.db.execute(sql`select graphile_worker.add_job('sweep_overdue', '{}'::json, run_at => now() - interval '30 seconds', job_key => 'readyz-fresh')`);
    expect(await check()).toEqual({ database: true, worker: true });
    await t.deps.db.execute(sql`select graphile_worker.add_job('sweep_overdue', '{}'::json, run_at => now() - interval '5 minutes', job_key => 'readyz-stale')`);
    const stale = await check();
    expect(stale).toMatchObject({ database: true, worker: false });
    expect(stale.detail).toMatch(/1 job\(s\) due/);
    await t.deps.db.execute(sql`select graphile_worker.remove_job(k) from unnest(array['readyz-fresh', 'readyz-stale']) k`);
    expect(await check()).toEqual({ database: true, worker: true });
  });

  it('the database check fails fast when Postgres does not answer', async () => {
    const dead = createDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    try {
      const result = await createReadinessCheck({ db: dead.db, timeoutMs: 1000 })();
      expect(result).toMatchObject({ database: false, worker: false });
      expect(result.detail).toContain('database:');
    } finally {
      await dead.close();
    }
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with the HTTP histogram by route pattern and the sessions gauge', async () => {
    const metrics = createMetrics({ sessionCounts: () => countSessionsByState(t.deps.db), logger: t.deps.logger });
    const { app } = await createTestServer(t, { metrics });
    const org = await seedOrg(t.deps.db);
    const alice = await seedUser(t.deps.db, org.id);
    const res = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [res.id] });
    await startSession(t.deps, { orgId: org.id, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.9', origin: 'api', actor: actorOf(alice) });
    await t.runJobs();

    await app.inject({ url: '/healthz' });
    await app.inject({ url: `/c/${'q'.repeat(43)}` });
    await app.inject({ url: '/no/such/thing' });
    metrics.syncDuration.observe({ kind: 'memory', outcome: 'ok' }, 0.2);
    metrics.providerCalls.inc({ kind: 'memory' });

    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    const text = scrape.body;
    expect(text).toContain('# TYPE entryguard_http_request_duration_seconds histogram');
    expect(text).toMatch(/entryguard_http_request_duration_seconds_count\{route="\/healthz",method="GET",status_code="200"\} 1/);
    expect(text).toMatch(/entryguard_http_request_duration_seconds_count\{route="\/c\/:token",method="GET",status_code="404"\} 1/);
    expect(text).toMatch(/route="unmatched",method="GET",status_code="404"/);
    expect(text).not.toContain('q'.repeat(43));
    expect(text).not.toContain('/no/such/thing');
    expect(text).toContain('# TYPE entryguard_sessions gauge');
    expect(text).toMatch(/entryguard_sessions\{state="ACTIVE"\} 1/);
    expect(text).toMatch(/entryguard_sessions\{state="PENDING"\} 0/);
    expect(text).toMatch(/entryguard_sync_duration_seconds_count\{kind="memory",outcome="ok"\} 1/);
    expect(text).toMatch(/entryguard_provider_calls_total\{kind="memory"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
    await app.close();
  });

  it('still answers when the session count fails', async () => {
    const metrics = createMetrics({ sessionCounts: () => Promise.reject(new Error('db down')), processMetrics: false });
    const { app } = await createTestServer(t, { metrics });
    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('entryguard_sessions');
    await app.close();
  });

  it('answers loopback callers only unless METRICS_TOKEN is set, then only that bearer token', async () => {
    const metrics = createMetrics({ sessionCounts: async () => ({}), processMetrics: false });
    const open = await createTestServer(t, { metrics });
    expect((await open.app.inject({ url: '/metrics', remoteAddress: '::1' })).statusCode).toBe(200);
    const remote = await open.app.inject({ url: '/metrics', remoteAddress: '198.51.100.7' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json()).toMatchObject({ error: 'FORBIDDEN', message: expect.stringContaining('METRICS_TOKEN') });
    await open.app.close();

    // Through a trusted proxy on this machine, the caller is the forwarded address, not the proxy.
    const proxied = await createTestServer(t, { metrics, trustProxy: ['loopback'] });
    expect((await proxied.app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '198.51.100.7' } })).statusCode).toBe(403);
    await proxied.app.close();

    const token = 'metrics-token-0123456789abcdef';
    const guarded = await createTestServer(t, { metrics, metricsToken: token });
    expect((await guarded.app.inject({ url: '/metrics', remoteAddress: '198.51.100.7', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${token}`]) {
      const res = await guarded.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1', headers: authorization ? { authorization } : {} });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.body).not.toContain('entryguard_');
    }
    await guarded.app.close();
  });
});
