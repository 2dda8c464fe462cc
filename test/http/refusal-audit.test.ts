import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/index.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { authRejections, bearer, createTestServer, keyFor } from './helpers.ts';

/*
 * Issue 10 point 12: a key that lacks a scope is a known person asking for more than they may,
 * so the 403 is audited; requests that name nobody (no key, an unknown key, a bad metrics token)
 * are counted in Prometheus instead, by reason.
 */
let t: TestEngine;
let app: FastifyInstance;
let fx: { orgId: string; readOnly: string; keyPrefix: string };

beforeAll(async () => {
  t = await createTestEngine();
  ({ app } = await createTestServer(t, { metricsToken: 'metrics-token-0123456789' }));
  const org = await seedOrg(t.deps.db);
  const alice = await seedUser(t.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  const key = await keyFor(t, alice, ['sessions:read']);
  fx = { orgId: org.id, readOnly: key.token, keyPrefix: key.prefix };
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const refusals = () => t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'API_REQUEST'), eq(auditEvents.result, 'DENIED')));

const rejected = (reason: string) => authRejections(app, reason, bearer('metrics-token-0123456789'));

describe('refusals of the REST API', () => {
  it('audits a 403 for a missing scope, with the key, its owner, the route and the scope', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: '203.0.113.9', headers: bearer(fx.readOnly), payload: { durationHours: 1 } });
    expect(res.statusCode).toBe(403);
    const [row] = await refusals();
    expect(row).toMatchObject({
      orgId: fx.orgId,
      actorType: 'api_key',
      actorLabel: `alice@example.com (api-key:${fx.keyPrefix})`,
      targetType: 'route',
      targetId: 'POST /api/v1/sessions',
      ip: '203.0.113.9',
      details: { code: 'FORBIDDEN', requiredScope: 'sessions:write', keyScopes: ['sessions:read'] },
    });
  });

  it('counts requests without a key, with an unknown key or a bad metrics token by reason, and audits none of them', async () => {
    const before = { missing: await rejected('api_key_missing'), invalid: await rejected('api_key_invalid'), metrics: await rejected('metrics_token') };
    const audited = (await t.deps.db.select().from(auditEvents)).length;
    expect((await app.inject({ url: '/api/v1/sessions' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/sessions', headers: bearer('eg_live_unknown') })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/me', headers: { 'x-api-key': 'eg_live_unknown' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: bearer('wrong-token-0123456789') })).statusCode).toBe(401);
    expect(await rejected('api_key_missing')).toBe(before.missing + 1);
    expect(await rejected('api_key_invalid')).toBe(before.invalid + 2);
    expect(await rejected('metrics_token')).toBe(before.metrics + 1);
    expect(await t.deps.db.select().from(auditEvents)).toHaveLength(audited);
  });
});
