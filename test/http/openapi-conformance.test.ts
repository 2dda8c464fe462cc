import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/http/server.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, createTestServer, keyFor } from './helpers.ts';

/**
 * Real responses against the published OpenAPI document: every operation is called until it
 * answered its success status, and each answer (successes and errors alike) must be documented
 * for that operation and validate against the documented JSON schema.
 */

type Response = { $ref?: string; content?: Record<string, { schema: Record<string, unknown> }> };
type Doc = { paths: Record<string, Record<string, { responses: Record<string, Response> }>>; components: Record<string, Record<string, unknown>> };

let t: TestEngine;
let app: FastifyInstance;
let doc: Doc;
let fx: Awaited<ReturnType<typeof seed>>;
const ajv = new Ajv2020.default({ strict: false, allErrors: true });
addFormats.default(ajv);
const checked = new Set<string>();

async function seed() {
  const db = t.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { actionsPerMinute: 1000 } });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const admin = await seedUser(db, org.id, { email: 'admin@example.com', admin: true });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id], resources: [r1.id] });
  await seedRole(db, org.id, { name: 'payments', members: [admin.id], resources: [r1.id], approvers: [carol.id] });
  const strict = await seedOrg(db, { plan: 'team', settings: { actionsPerMinute: 1 } });
  const frank = await seedUser(db, strict.id, { email: 'frank@example.com' });
  await seedRole(db, strict.id, { members: [frank.id], resources: [(await seedResource(db, strict.id, { name: 'x' })).id] });
  return {
    aliceKey: (await keyFor(t, alice, ['sessions:read', 'sessions:write'])).token,
    adminKey: (await keyFor(t, admin, ['sessions:read', 'sessions:write', 'sessions:admin', 'audit:read', 'api-keys:admin'])).token,
    carolKey: (await keyFor(t, carol, ['sessions:read', 'approvals:write'])).token,
    noScopes: (await keyFor(t, alice, [])).token,
    spare: await keyFor(t, alice, ['sessions:read']),
    frankKey: (await keyFor(t, frank, ['sessions:write'])).token,
  };
}

beforeAll(async () => {
  t = await createTestEngine();
  ({ app } = await createTestServer(t));
  fx = await seed();
  doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as Doc;
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
const urlOf = (path: string, id = '0b7c2f0e-1111-4111-8111-111111111111') => path.replace('{id}', id);

/** The answer is documented for this operation and matches the documented schema. */
function conforms(method: string, path: string, res: LightMyRequestResponse): void {
  const where = `${method} ${path} → ${res.statusCode}`;
  let documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(res.statusCode)];
  expect(documented, `${where} is documented (${res.body})`).toBeDefined();
  if (documented?.$ref) documented = doc.components.responses![documented.$ref.split('/').at(-1)!] as Response;
  const schema = documented!.content!['application/json']!.schema;
  const validate = ajv.compile({ ...schema, components: doc.components });
  expect(validate(res.json()), `${where}: ${ajv.errorsText(validate.errors)} in ${res.body}`).toBe(true);
  checked.add(`${method} ${path} ${res.statusCode}`);
}

async function call(method: string, path: string, opts: { key?: string; id?: string; payload?: unknown; headers?: Record<string, string>; from?: string } = {}) {
  const res = await app.inject({
    method: method as 'GET',
    url: urlOf(path, opts.id),
    remoteAddress: opts.from ?? '203.0.113.7',
    headers: { ...(opts.key ? bearer(opts.key) : {}), ...opts.headers },
    ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
  });
  conforms(method, path, res);
  return res;
}

describe('real responses match the OpenAPI document', () => {
  it('the check has teeth: a body unlike the documented one fails it', async () => {
    const res = await app.inject({ url: '/api/v1/me', headers: bearer(fx.aliceKey) });
    const tampered = { ...res, json: () => ({ ...res.json(), orgId: 42 }) } as LightMyRequestResponse;
    expect(() => conforms('GET', '/api/v1/me', tampered)).toThrow(/orgId/);
    const undocumented = { ...res, statusCode: 418 } as LightMyRequestResponse;
    expect(() => conforms('GET', '/api/v1/me', undocumented)).toThrow(/documented/);
  });

  it('every operation answers its documented success shape', async () => {
    const started = await call('POST', '/api/v1/sessions', { key: fx.aliceKey, payload: { duration: '2h' } });
    expect(started.statusCode).toBe(201);
    const id = started.json().id as string;
    await t.runJobs();
    // Moving needs another address than the session's.
    expect((await call('POST', '/api/v1/sessions/{id}/address', { key: fx.aliceKey, id, payload: { mode: 'add' }, from: '198.51.100.70' })).statusCode).toBe(200);
    const asked = await call('POST', '/api/v1/sessions', { key: fx.adminKey, payload: { duration: '1h' } });
    expect((await call('POST', '/api/v1/sessions/{id}/approval', { key: fx.carolKey, id: asked.json().id, payload: { decision: 'deny' } })).statusCode).toBe(200);
    for (const [method, path, key, payload] of [
      ['GET', '/api/v1/sessions', fx.aliceKey],
      ['GET', '/api/v1/sessions/{id}', fx.aliceKey],
      ['GET', '/api/v1/sessions/{id}/check', fx.aliceKey],
      ['POST', '/api/v1/sessions/{id}/extend', fx.aliceKey, { duration: '1h' }],
      ['POST', '/api/v1/sessions/{id}/stop', fx.aliceKey],
      ['GET', '/api/v1/admin/sessions', fx.adminKey],
      ['POST', '/api/v1/admin/sessions/{id}/stop', fx.adminKey],
      ['GET', '/api/v1/audit', fx.adminKey],
      ['GET', '/api/v1/admin/api-keys', fx.adminKey],
      ['GET', '/api/v1/me', fx.aliceKey],
    ] as const) {
      const res = await call(method, path, { key, id, payload });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(200);
    }
    expect((await call('POST', '/api/v1/admin/api-keys/{id}/revoke', { key: fx.adminKey, id: fx.spare.id })).statusCode).toBe(200);
    for (const op of operations()) expect([...checked].some((c) => c.startsWith(`${op.method} ${op.path} 2`)), `${op.method} ${op.path}`).toBe(true);
  });

  it('401 on every operation without a key, 403 on every scoped one with a key without scopes', async () => {
    for (const { method, path } of operations()) {
      expect((await call(method, path)).statusCode, `${method} ${path}`).toBe(401);
      const res = await call(method, path, { key: fx.noScopes });
      expect(res.statusCode, `${method} ${path}`).toBe(path === '/api/v1/me' ? 200 : 403);
    }
  });

  it('413 and 415 on every operation that takes a body', async () => {
    for (const { method, path } of operations().filter((o) => o.method === 'POST')) {
      const big = await call(method, path, { key: fx.aliceKey, payload: { duration: 'x'.repeat(BODY_LIMIT) } });
      expect(big.statusCode, `${method} ${path}`).toBe(413);
      const text = await call(method, path, { key: fx.aliceKey, payload: '{}', headers: { 'content-type': 'text/plain' } });
      expect(text.statusCode, `${method} ${path}`).toBe(415);
    }
  });

  it('400, 404, 409 and 429 (the per-user throttle and the per-address limit, both with Retry-After)', async () => {
    const badQuery = await app.inject({ url: '/api/v1/sessions?live=yes', headers: bearer(fx.aliceKey) });
    conforms('GET', '/api/v1/sessions', badQuery);
    expect(badQuery.statusCode).toBe(400);
    expect((await call('POST', '/api/v1/sessions', { key: fx.aliceKey, payload: { duration: 'soon' } })).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/sessions/{id}', { key: fx.aliceKey })).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/admin/api-keys/{id}/revoke', { key: fx.adminKey })).statusCode).toBe(404);

    const pending = (await call('POST', '/api/v1/sessions', { key: fx.aliceKey, payload: { duration: '1h' } })).json().id as string;
    expect((await call('POST', '/api/v1/sessions/{id}/extend', { key: fx.aliceKey, id: pending })).statusCode).toBe(409);
    await call('POST', '/api/v1/sessions/{id}/stop', { key: fx.aliceKey, id: pending });

    expect((await call('POST', '/api/v1/sessions', { key: fx.frankKey })).statusCode).toBe(201);
    const throttled = await call('POST', '/api/v1/sessions', { key: fx.frankKey });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json().error).toBe('THROTTLED');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const { app: limited } = await createTestServer(t, { rateLimitPerMinute: 1 });
    try {
      await limited.inject({ url: '/api/v1/me', remoteAddress: '198.51.100.9', headers: bearer(fx.aliceKey) });
      const res = await limited.inject({ url: '/api/v1/me', remoteAddress: '198.51.100.9', headers: bearer(fx.aliceKey) });
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      conforms('GET', '/api/v1/me', res);
    } finally {
      await limited.close();
    }
  });
});
