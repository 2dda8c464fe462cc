import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

let t: TestEngine;
let app: FastifyInstance;
let key: string;
let userId: string;

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  const org = await seedOrg(t.deps.db, { plan: 'team' });
  const user = await seedUser(t.deps.db, org.id, { email: 'alice@example.com' });
  const resource = await seedResource(t.deps.db, org.id, { name: 'prod-db' });
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id] });
  key = (await keyFor(t, user, ['sessions:read', 'sessions:write'])).token;
  userId = user.id;
});

const sessionCount = async () => (await t.deps.db.select().from(sessions).where(eq(sessions.userId, userId))).length;

describe('content types', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['text/plain; charset=utf-8', 'text/plain'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['application/xml', 'application/xml'],
  ])('a JSON body sent as %s is 415 naming the type and what to send; nothing starts', async (contentType, named) => {
    const before = await sessionCount();
    const res = await app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { ...bearer(key), 'content-type': contentType }, payload: '{"duration":"2h"}' });
    expect(res.statusCode, res.body).toBe(415);
    const body = res.json();
    expect(body).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE', requestId: res.headers['x-request-id'] });
    expect(body.message).toContain(`"${named}"`);
    expect(body.message).toContain('application/json');
    expect(await sessionCount()).toBe(before);
  });

  it('a body without a content type is 415 too', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(key), payload: Buffer.from('{"duration":"2h"}') });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json().message).toContain('application/json');
  });

  it('application/json with a charset is read', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: '203.0.113.9', headers: { ...bearer(key), 'content-type': 'application/json; charset=utf-8' }, payload: '{"duration":"1h"}' });
    expect(res.statusCode, res.body).toBe(201);
    await app.inject({ method: 'POST', url: `/api/v1/sessions/${res.json().id}/stop`, headers: bearer(key) });
  });
});

describe('methods and paths', () => {
  it.each([
    ['DELETE', '/api/v1/sessions/0b7c2f0e-1111-4111-8111-111111111111', 'GET, HEAD'],
    ['PUT', '/api/v1/sessions', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/sessions/0b7c2f0e/extend', 'POST'],
    ['GET', '/api/v1/sessions/0b7c2f0e/stop', 'POST'],
    ['POST', '/api/v1/me', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s is 405 with Allow: %s', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'GET', url, headers: bearer(key) });
    expect(res.statusCode, res.body).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({ error: 'METHOD_NOT_ALLOWED', requestId: expect.any(String) });
    expect(res.json().message).toContain(method);
    expect(res.json().message).toContain(allow.split(', ').at(-1));
  });

  it('OPTIONS on a known path answers 204 with Allow', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/api/v1/sessions' });
    expect(res.statusCode).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('an unknown path is 404 JSON whatever the method; a query string does not change the answer', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/api/v1/nope', headers: bearer(key) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'NOT_FOUND', requestId: expect.any(String) });
    }
    const query = await app.inject({ method: 'DELETE', url: '/api/v1/sessions?live=true' });
    expect(query.statusCode).toBe(405);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/sessions/a/b/c' })).statusCode).toBe(404);
  });
});
