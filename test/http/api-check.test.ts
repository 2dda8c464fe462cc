import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/http/api/schemas.ts';
import { AccessCheckJson, AddressChangeResult } from '../../src/http/api/check-schemas.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

/** GET /sessions/{id}/check and POST /sessions/{id}/address: the caller's own session only. */
let t: TestEngine;
let app: FastifyInstance;
let fx: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const db = t.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const admin = await seedUser(db, org.id, { email: 'admin@example.com', admin: true });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id, admin.id], resources: [r1.id] });
  return {
    r1,
    aliceKey: (await keyFor(t, alice, ['sessions:read', 'sessions:write'])).token,
    aliceReadOnly: (await keyFor(t, alice, ['sessions:read'])).token,
    adminKey: (await keyFor(t, admin, ['sessions:read', 'sessions:write', 'sessions:admin'])).token,
  };
}

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  fx = await seed();
});

const post = (url: string, key: string, payload: unknown, remoteAddress: string) => app.inject({ method: 'POST', url, remoteAddress, headers: bearer(key), payload: payload as object });
const get = (url: string, key: string, remoteAddress: string) => app.inject({ method: 'GET', url, remoteAddress, headers: bearer(key) });

describe('access check over the REST API', () => {
  it('says the address changed, moves the session here, then says all is well', async () => {
    const started = Session.parse((await post('/api/v1/sessions', fx.aliceKey, { duration: '2h' }, '203.0.113.7')).json());
    await t.runJobs();

    const res = await get(`/api/v1/sessions/${started.id}/check`, fx.aliceKey, '198.51.100.7');
    expect(res.statusCode, res.body).toBe(200);
    const check = AccessCheckJson.parse(res.json());
    expect(check.verdicts[0]).toEqual({ kind: 'address-changed', text: 'Your address changed from 203.0.113.7 to 198.51.100.7.' });
    expect(check.newAddresses).toEqual(['198.51.100.7']);

    const moved = await post(`/api/v1/sessions/${started.id}/address`, fx.aliceKey, { mode: 'move' }, '198.51.100.7');
    expect(moved.statusCode, moved.body).toBe(200);
    expect(AddressChangeResult.parse(moved.json())).toMatchObject({ address: '198.51.100.7', released: ['203.0.113.7/32'] });
    await t.runJobs();
    expect(t.firewall.cidrs(fx.r1.id)).toEqual(['198.51.100.7/32']);
    const after = AccessCheckJson.parse((await get(`/api/v1/sessions/${started.id}/check`, fx.aliceKey, '198.51.100.7')).json());
    expect(after.verdicts[0]!.kind).toBe('ok');
  });

  it('refuses others (an admin with the admin scope too), a read-only key, and a bad mode', async () => {
    const started = Session.parse((await post('/api/v1/sessions', fx.aliceKey, { duration: '1h' }, '203.0.113.8')).json());
    expect((await get(`/api/v1/sessions/${started.id}/check`, fx.adminKey, '203.0.113.8')).statusCode).toBe(404);
    expect((await post(`/api/v1/sessions/${started.id}/address`, fx.adminKey, { mode: 'move' }, '203.0.113.9')).statusCode).toBe(404);
    expect((await post(`/api/v1/sessions/${started.id}/address`, fx.aliceReadOnly, { mode: 'move' }, '203.0.113.9')).statusCode).toBe(403);
    const bad = await post(`/api/v1/sessions/${started.id}/address`, fx.aliceKey, { mode: 'teleport' }, '203.0.113.9');
    expect(bad.statusCode).toBe(400);
    expect((await get(`/api/v1/sessions/not-an-id/check`, fx.aliceKey, '203.0.113.8')).statusCode).toBe(404);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => /check|address/.test(p))).toEqual(['/api/v1/sessions/{id}/check', '/api/v1/sessions/{id}/address']);
  });
});
