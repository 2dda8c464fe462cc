import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaim } from '../../src/engine/claims.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { REDACT_PATHS } from '../../src/shared/logger.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, createTestServer, keyFor } from './helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t?.close());

/** A pino logger like production's (same redaction), writing JSON lines into an array. */
function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('request logs', () => {
  it('are JSON lines with the route pattern; no API key, cookie or claim token ever appears', async () => {
    const org = await seedOrg(t.deps.db);
    const alice = await seedUser(t.deps.db, org.id);
    const r = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r.id] });
    const key = await keyFor(t, alice, ['sessions:read']);
    const { token } = await createClaim(t.deps, { orgId: org.id, userId: alice.id, origin: 'slack', ttlSeconds: 300, actor: actorOf(alice) });

    const log = captureLogger();
    const { app } = await createTestServer(t, { logger: log.logger });
    await app.inject({ url: '/api/v1/sessions', headers: bearer(key.token) });
    await app.inject({ url: '/api/v1/sessions', headers: { 'x-api-key': key.token, cookie: 'session=s3cr3t-cookie' } });
    await app.inject({ url: `/c/${token}`, headers: { cookie: 'eg_csrf=c00kie-value' } });
    await app.inject({ url: `/c/${token}/status` });
    await app.inject({ url: `/c/${token}/nope` });
    await app.close();

    const all = log.lines.join('\n');
    expect(all).not.toContain(key.token);
    expect(all).not.toContain(token);
    expect(all).not.toContain('s3cr3t-cookie');
    expect(all).not.toContain('c00kie-value');
    const requests = log.records().filter((r) => r.msg === 'request');
    expect(requests.map((r) => r.route)).toEqual(['/api/v1/sessions', '/api/v1/sessions', '/c/:token', '/c/:token/status', 'unmatched']);
    expect(requests[0]).toMatchObject({ method: 'GET', statusCode: 200, requestId: expect.any(String), clientIp: '127.0.0.1' });
  });

  it('an unexpected error is a 500 with a generic message and the request id; the full error is logged', async () => {
    const log = captureLogger();
    // Break the database under the server: every query fails unexpectedly.
    const broken = { ...t.deps, db: { select: () => { throw new Error('boom: connection lost'); } } as unknown as typeof t.deps.db };
    const app = await createHttpServer({
      engine: broken,
      logger: log.logger,
      publicUrl: 'https://eg.example.test',
      trustProxy: [],
      claimTtlSeconds: 300,
      readiness: async () => ({ database: true, worker: true }),
      metrics: createMetrics({ processMetrics: false }),
    });
    const res = await app.inject({ url: '/api/v1/me', headers: bearer('eg_live_whatever') });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toEqual({ error: 'INTERNAL', message: expect.stringContaining('request id'), requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('boom');
    const failed = log.records().find((r) => r.msg === 'request failed');
    expect(failed).toMatchObject({ level: 50, requestId: body.requestId, route: '/api/v1/me' });
    expect(JSON.stringify(failed)).toContain('boom: connection lost');
    await app.close();
  });
});

describe('start-up warnings', () => {
  it('names a TRUST_PROXY range wider than /16 (IPv4) or /48 (IPv6): whoever holds an address in it chooses the client address', async () => {
    const log = captureLogger();
    const wide = await createTestServer(t, { logger: log.logger, trustProxy: ['loopback', '10.0.0.0/8', '2001:db8::/32', '192.168.0.0/16'] });
    const warning = log.records().find((r) => r.level === 40 && String(r.msg).includes('TRUST_PROXY'));
    expect(warning).toMatchObject({ ranges: ['10.0.0.0/8', '2001:db8::/32'] });
    await wide.app.close();

    const quiet = captureLogger();
    const narrow = await createTestServer(t, { logger: quiet.logger, trustProxy: ['10.1.0.0/16', '2001:db8:1::/48'] });
    expect(quiet.records().filter((r) => String(r.msg).includes('TRUST_PROXY'))).toEqual([]);
    await narrow.app.close();
  });
});
