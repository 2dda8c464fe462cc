import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { auditEvents, sessions } from '../../src/db/schema/index.ts';
import { Session, SessionList } from '../../src/http/api/schemas.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

let t: TestEngine;
let app: FastifyInstance;
let fx: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const db = t.deps.db;
  const settings = { actionsPerMinute: 1000 };
  const org = await seedOrg(db, { plan: 'team', settings });
  const person = (name: string, admin = false) => seedUser(db, org.id, { email: `${name}@example.com`, admin });
  const [alice, bob, admin, carol, dave] = [await person('alice'), await person('bob'), await person('admin', true), await person('carol'), await person('dave')];
  const [r1, r2] = [await seedResource(db, org.id, { name: 'prod-db' }), await seedResource(db, org.id, { name: 'payments' })];
  await seedRole(db, org.id, { members: [alice.id, bob.id, admin.id], resources: [r1.id] });
  await seedRole(db, org.id, { name: 'payments', members: [dave.id], resources: [r2.id], approvers: [carol.id] });
  // A small plan with a role capped at 2h: 1h and 2h are all this user may start.
  const small = await seedOrg(db, { plan: 'free', settings });
  const erin = await seedUser(db, small.id, { email: 'erin@example.com' });
  const r3 = await seedResource(db, small.id, { name: 'staging' });
  await seedRole(db, small.id, { members: [erin.id], resources: [r3.id], capHours: 2 });
  const rw = ['sessions:read', 'sessions:write'] as const;
  return {
    org,
    alice,
    bob,
    aliceKey: (await keyFor(t, alice, [...rw])).token,
    bobKey: (await keyFor(t, bob, [...rw])).token,
    adminKey: (await keyFor(t, admin, [...rw, 'sessions:admin'])).token,
    adminOwnKey: (await keyFor(t, admin, [...rw])).token,
    carolKey: (await keyFor(t, carol, ['sessions:read', 'approvals:write'])).token,
    daveKey: (await keyFor(t, dave, [...rw])).token,
    erinKey: (await keyFor(t, erin, [...rw])).token,
  };
}

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  fx = await seed();
});

const post = (url: string, key: string, payload?: unknown) =>
  app.inject({ method: 'POST', url, remoteAddress: '203.0.113.7', headers: bearer(key), ...(payload === undefined ? {} : { payload: payload as object }) });
const get = (url: string, key: string) => app.inject({ method: 'GET', url, headers: bearer(key) });

async function startActive(key: string, body: unknown = { duration: '2h' }) {
  const res = await post('/api/v1/sessions', key, body);
  expect(res.statusCode, res.body).toBe(201);
  await t.runJobs();
  return Session.parse((await get(`/api/v1/sessions/${res.json().id}`, key)).json());
}

/** An ended session with a chosen id, as history holds them (ids that share a prefix need one). */
async function pastSession(userId: string, id: string) {
  const at = t.clock.now();
  await t.deps.db.insert(sessions).values({
    id,
    orgId: fx.org.id,
    userId,
    state: 'EXPIRED',
    ipv4: '198.51.100.4',
    durationMinutes: 60,
    maxTotalMinutes: 1440,
    origin: 'api',
    startedAt: new Date(at.getTime() - 2 * 3600_000),
    expiresAt: new Date(at.getTime() - 3600_000),
    endedAt: new Date(at.getTime() - 3600_000),
    endedReason: 'EXPIRED',
  });
}

describe('extend takes the duration grammar of start', () => {
  it('"duration" text, durationHours, nothing (1h) and the deprecated additionalHours / additionalMinutes; durationMinutes is the total', async () => {
    const s = await startActive(fx.aliceKey);
    expect(s).toMatchObject({ state: 'ACTIVE', durationMinutes: 120, requestedMinutes: 120 });
    const steps: [unknown, number][] = [
      [{ duration: '2h' }, 240],
      [{ duration: '1h30m' }, 330],
      [{ duration: '45m' }, 375],
      [{ durationHours: 0.5 }, 405],
      [undefined, 465],
      [{ additionalHours: 1 }, 525],
      [{ additionalMinutes: 15 }, 540],
    ];
    for (const [body, total] of steps) {
      const res = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(200);
      const after = Session.parse(res.json());
      expect(after, JSON.stringify(body)).toMatchObject({ durationMinutes: total, requestedMinutes: 120 });
      expect(Date.parse(after.expiresAt!) - Date.parse(after.startedAt!)).toBe(total * 60_000);
    }
    // Reading and listing say the same total.
    expect(Session.parse((await get(`/api/v1/sessions/${s.id}`, fx.aliceKey)).json()).durationMinutes).toBe(540);
    const listed = SessionList.parse((await get('/api/v1/sessions?live=true', fx.aliceKey)).json()).items.find((x) => x.id === s.id);
    expect(listed?.durationMinutes).toBe(540);
    await post(`/api/v1/sessions/${s.id}/stop`, fx.aliceKey);
  });

  it('an extension past the cap is trimmed, and the response shows it (expiresAt = maxExpiresAt)', async () => {
    const s = await startActive(fx.aliceKey, { duration: '16h' });
    const res = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { duration: '12h' });
    const after = Session.parse(res.json());
    expect(after).toMatchObject({ durationMinutes: 1440, requestedMinutes: 960, canExtend: false });
    expect(after.expiresAt).toBe(after.maxExpiresAt);
    const atCap = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { duration: '1h' });
    expect(atCap.statusCode).toBe(409);
    expect(atCap.json().error).toBe('EXTENSION_AT_CAP');
    await post(`/api/v1/sessions/${s.id}/stop`, fx.aliceKey);
  });

  it('refuses text that is no duration with a message suggesting a length it takes, and two duration fields at once', async () => {
    const s = await startActive(fx.aliceKey);
    const bad = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { duration: 'a while' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('VALIDATION_FAILED');
    expect(bad.json().details.fields.duration).toContain('"1h"');
    const suggested = /"(\w+)"\.?$/.exec(bad.json().message)![1]!;
    expect((await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { duration: suggested })).statusCode).toBe(200);
    for (const both of [{ duration: '1h', durationHours: 1 }, { duration: '1h', additionalHours: 1 }, { additionalHours: 1, additionalMinutes: 5 }]) {
      const res = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, both);
      expect(res.statusCode, JSON.stringify(both)).toBe(400);
      expect(res.json().details.fields).toHaveProperty('duration');
    }
    await post(`/api/v1/sessions/${s.id}/stop`, fx.aliceKey);
  });
});

describe('suggestions come from what the caller may pick', () => {
  it('a start with text that is no duration, or one outside the plan, lists the offered ones; each of them is then accepted', async () => {
    for (const duration of ['ninety minutes', '90m', '4h']) {
      const res = await post('/api/v1/sessions', fx.erinKey, { duration });
      expect(res.statusCode, duration).toBe(400);
      const body = res.json();
      expect(body.message, duration).toMatch(/1h or 2h\.$/);
      // It may name what was asked for ("4h is not offered on your plan; …"), never suggest it.
      expect(body.message.split(/choose|Choose/).at(-1)).not.toMatch(/90m|1h30m|4h/);
      expect(body.details.offeredDurations).toEqual(['1h', '2h']);
    }
    const unreadable = (await post('/api/v1/sessions', fx.erinKey, { duration: 'ninety minutes' })).json();
    expect(unreadable).toMatchObject({ error: 'VALIDATION_FAILED', details: { fields: { duration: expect.stringContaining('1h or 2h') } } });
    for (const offered of unreadable.details.offeredDurations as string[]) {
      const res = await post('/api/v1/sessions', fx.erinKey, { duration: offered });
      expect(res.statusCode, `${offered}: ${res.body}`).toBe(201);
      await post(`/api/v1/sessions/${res.json().id}/stop`, fx.erinKey);
    }
  });

  it('the OpenAPI document gives no example duration a plan may refuse', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).body;
    expect(doc).not.toContain('90m');
    expect(doc).toContain('GET /me');
  });
});

describe('every session response has one shape', () => {
  it('start, read, list, stop, extend, admin list and admin stop answer the same Session keys', async () => {
    const shape = (o: object) => Object.keys(o).sort().join(',');
    const started = await post('/api/v1/sessions', fx.aliceKey, { duration: '1h' });
    const id = started.json().id as string;
    await t.runJobs();
    const answers: [string, object][] = [
      ['start', started.json()],
      ['get', (await get(`/api/v1/sessions/${id}`, fx.aliceKey)).json()],
      ['list', (await get('/api/v1/sessions', fx.aliceKey)).json().items[0]],
      ['extend', (await post(`/api/v1/sessions/${id}/extend`, fx.aliceKey, { duration: '1h' })).json()],
      ['admin list', (await get('/api/v1/admin/sessions', fx.adminKey)).json().items[0]],
      ['stop', (await post(`/api/v1/sessions/${id}/stop`, fx.aliceKey)).json()],
      ['stop again', (await post(`/api/v1/sessions/${id}/stop`, fx.aliceKey)).json()],
      ['admin stop', (await post(`/api/v1/admin/sessions/${id}/stop`, fx.adminKey)).json()],
    ];
    const expected = shape(Session.parse(answers[0]![1]));
    for (const [what, body] of answers) {
      expect(shape(body), what).toBe(expected);
      expect(Session.safeParse(body).success, what).toBe(true);
    }
  });
});

describe('short session ids', () => {
  it('an 8-character prefix reads, extends and stops like the full id; the answer carries the full id', async () => {
    const s = await startActive(fx.bobKey, { duration: '1h' });
    const short = s.id.slice(0, 8);
    expect(Session.parse((await get(`/api/v1/sessions/${short}`, fx.bobKey)).json()).id).toBe(s.id);
    expect(Session.parse((await get(`/api/v1/sessions/${short.toUpperCase()}`, fx.bobKey)).json()).id).toBe(s.id);
    expect(Session.parse((await post(`/api/v1/sessions/${short}/extend`, fx.bobKey, { duration: '1h' })).json()).durationMinutes).toBe(120);
    expect(Session.parse((await post(`/api/v1/sessions/${short}/stop`, fx.bobKey)).json()).state).toBe('EXPIRING');
    expect((await get(`/api/v1/sessions/${s.id.slice(0, 3)}`, fx.bobKey)).statusCode).toBe(404);
    expect((await get(`/api/v1/sessions/${short}zz`, fx.bobKey)).statusCode).toBe(404);
  });

  it("an ambiguous prefix is 409 listing the caller's matches, and only those: others' sessions neither match nor show", async () => {
    const a1 = 'abcd1234-0000-4000-8000-00000000a001';
    const a2 = 'abcd1234-0000-4000-8000-00000000a002';
    const b1 = 'abcd1234-0000-4000-8000-00000000b001';
    const c1 = 'cdef5678-0000-4000-8000-00000000b002';
    await pastSession(fx.alice.id, a1);
    await pastSession(fx.alice.id, a2);
    await pastSession(fx.bob.id, b1);
    await pastSession(fx.bob.id, c1);

    const ambiguous = await get('/api/v1/sessions/abcd1234', fx.aliceKey);
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json()).toMatchObject({ error: 'AMBIGUOUS_SESSION_ID', details: { matchingIds: [a1, a2] } });
    expect(ambiguous.json().message).toContain(a1);
    expect(ambiguous.body).not.toContain(b1);
    expect((await get('/api/v1/sessions/abcd1234-0000-4000-8000-00000000a0', fx.aliceKey)).statusCode).toBe(409);
    expect(Session.parse((await get('/api/v1/sessions/abcd1234-0000-4000-8000-00000000a002', fx.aliceKey)).json()).id).toBe(a2);
    const stop = await post('/api/v1/sessions/abcd1234/stop', fx.aliceKey);
    expect(stop.statusCode).toBe(409);

    // Bob's one match is his; Alice's prefix of Bob's session is a plain 404, as is the admin's key without the admin scope.
    expect(Session.parse((await get('/api/v1/sessions/abcd1234', fx.bobKey)).json()).id).toBe(b1);
    expect((await get('/api/v1/sessions/cdef5678', fx.aliceKey)).json()).toMatchObject({ error: 'SESSION_NOT_FOUND' });
    expect((await get('/api/v1/sessions/cdef5678', fx.adminOwnKey)).statusCode).toBe(404);
    // An admin using the admin scope sees all three.
    const admin = await get('/api/v1/sessions/abcd1234', fx.adminKey);
    expect(admin.json().details.matchingIds).toEqual([a1, a2, b1]);
    expect(Session.parse((await get('/api/v1/sessions/cdef5678', fx.adminKey)).json()).id).toBe(c1);
    expect((await post('/api/v1/admin/sessions/cdef5678/stop', fx.adminKey)).statusCode).toBe(200);

    const refusals = await t.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'SESSION_STOP'), eq(auditEvents.result, 'DENIED'), eq(auditEvents.targetId, 'abcd1234')));
    expect(refusals.map((e) => (e.details as { code: string }).code)).toEqual(['AMBIGUOUS_SESSION_ID']);
  });

  it('an approver resolves a short id of a request asked of them', async () => {
    const started = await post('/api/v1/sessions', fx.daveKey, { duration: '1h' });
    const id = started.json().id as string;
    const res = await post(`/api/v1/sessions/${id.slice(0, 8)}/approval`, fx.carolKey, { decision: 'approve' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ sessionId: id, status: 'APPROVED' });
    await post(`/api/v1/sessions/${id}/stop`, fx.daveKey);
  });
});
