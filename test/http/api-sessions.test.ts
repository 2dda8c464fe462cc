import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { apiKeys, sessions } from '../../src/db/schema/index.ts';
import { ApprovalResult, AuditPage, Me, Session, SessionList } from '../../src/http/api/schemas.ts';
import { BODY_LIMIT } from '../../src/http/server.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

let t: TestEngine;
let app: FastifyInstance;
let fx: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const db = t.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const bob = await seedUser(db, org.id, { email: 'bob@example.com' });
  const admin = await seedUser(db, org.id, { email: 'admin@example.com', admin: true });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const dave = await seedUser(db, org.id, { email: 'dave@example.com' });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  const r2 = await seedResource(db, org.id, { name: 'bastion' });
  const r3 = await seedResource(db, org.id, { name: 'payments' });
  await seedRole(db, org.id, { members: [alice.id, bob.id, admin.id], resources: [r1.id, r2.id] });
  await seedRole(db, org.id, { name: 'payments', members: [dave.id], resources: [r3.id], approvers: [carol.id] });
  await seedRole(db, org.id, { name: 'payments-audit', members: [dave.id], resources: [r3.id], approvers: [bob.id] });
  const all = ['sessions:read', 'sessions:write'] as const;
  return {
    org,
    alice,
    bob,
    admin,
    r1,
    aliceKey: (await keyFor(t, alice, [...all])).token,
    bobKey: (await keyFor(t, bob, [...all])).token,
    aliceReadOnly: (await keyFor(t, alice, ['sessions:read'])).token,
    adminKey: (await keyFor(t, admin, [...all, 'sessions:admin', 'audit:read'])).token,
    adminWithoutAdminScope: (await keyFor(t, admin, [...all, 'audit:read'])).token,
    carolReader: (await keyFor(t, carol, ['sessions:read'])).token,
    carolApproverReader: (await keyFor(t, carol, ['sessions:read', 'approvals:write'])).token,
    bobAdminScope: (await keyFor(t, bob, ['sessions:admin', 'audit:read'])).token,
    carolKey: (await keyFor(t, carol, ['approvals:write'])).token,
    daveKey: (await keyFor(t, dave, [...all, 'approvals:write'])).token,
    bobApprover: (await keyFor(t, bob, ['approvals:write'])).token,
  };
}

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  fx = await seed();
});

const post = (url: string, key: string | undefined, payload?: unknown, remoteAddress = '203.0.113.7') =>
  app.inject({ method: 'POST', url, remoteAddress, headers: key ? bearer(key) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
const get = (url: string, key?: string) => app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

async function startAs(key: string, body: unknown = { durationHours: 2 }, ip = '203.0.113.7') {
  const res = await post('/api/v1/sessions', key, body, ip);
  expect(res.statusCode, res.body).toBe(201);
  return Session.parse(res.json());
}

describe('own sessions', () => {
  it('starts from the caller address, turns ACTIVE, lists, extends and stops', async () => {
    const started = await startAs(fx.aliceKey);
    expect(started).toMatchObject({ state: 'PENDING', ipv4: '203.0.113.7', ipv6: null, durationMinutes: 120, origin: 'api', userEmail: 'alice@example.com' });
    expect(started.rules.map((r) => [r.resourceName, r.state, r.cidr])).toEqual([
      ['bastion', 'PENDING', '203.0.113.7/32'],
      ['prod-db', 'PENDING', '203.0.113.7/32'],
    ]);
    expect(Date.parse(started.expiresAt!) - Date.parse(started.startedAt!)).toBe(2 * 3600_000);

    await t.runJobs();
    const active = Session.parse((await get(`/api/v1/sessions/${started.id}`, fx.aliceKey)).json());
    expect(active.state).toBe('ACTIVE');
    expect(active.rules.every((r) => r.state === 'APPLIED')).toBe(true);
    expect(t.firewall.cidrs(fx.r1.id)).toContain('203.0.113.7/32');

    const list = SessionList.parse((await get('/api/v1/sessions?live=true', fx.aliceKey)).json());
    expect(list.items.map((s) => s.id)).toContain(started.id);

    const ext = await post(`/api/v1/sessions/${started.id}/extend`, fx.aliceKey, { additionalHours: 1 });
    expect(ext.statusCode, ext.body).toBe(200);
    const extended = Session.parse(ext.json());
    expect(extended).toMatchObject({ durationMinutes: 180, requestedMinutes: 120 });
    expect(Date.parse(extended.expiresAt!) - Date.parse(active.expiresAt!)).toBe(3600_000);

    // An empty JSON body is "no options", as clients commonly send for /stop.
    const stop = await app.inject({ method: 'POST', url: `/api/v1/sessions/${started.id}/stop`, headers: { ...bearer(fx.aliceKey), 'content-type': 'application/json' }, payload: '' });
    expect(stop.statusCode, stop.body).toBe(200);
    expect(Session.parse(stop.json())).toMatchObject({ state: 'EXPIRING', endedReason: 'MANUAL' });
    await t.runJobs();
    expect(Session.parse((await get(`/api/v1/sessions/${started.id}`, fx.aliceKey)).json()).state).toBe('CANCELLED');
    expect(t.firewall.cidrs(fx.r1.id)).not.toContain('203.0.113.7/32');

    const again = await post(`/api/v1/sessions/${started.id}/stop`, fx.aliceKey);
    expect(again.statusCode).toBe(200);
    expect(Session.parse(again.json())).toMatchObject({ state: 'CANCELLED' });
    const live = SessionList.parse((await get('/api/v1/sessions?live=true', fx.aliceKey)).json());
    expect(live.items.map((s) => s.id)).not.toContain(started.id);
  });

  it('takes the duration as text, and refuses one outside the plan listing the offered ones', async () => {
    const s = await startAs(fx.aliceKey, { duration: '4h' });
    expect(s.durationMinutes).toBe(240);
    const res = await post('/api/v1/sessions', fx.aliceKey, { duration: '90m' });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('DURATION_NOT_ALLOWED');
    expect(body.message).toContain('1h, 2h, 4h, 8h, 12h, 16h or 24h');
    expect(body.details.offeredMinutes).toEqual([60, 120, 240, 480, 720, 960, 1440]);
    expect(body.details.offeredDurations).toEqual(['1h', '2h', '4h', '8h', '12h', '16h', '24h']);
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect((await post('/api/v1/sessions', fx.aliceKey, { durationHours: 48 })).json().error).toBe('DURATION_NOT_ALLOWED');
    expect((await post('/api/v1/sessions', fx.aliceKey, { durationHours: 0 })).json().error).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/sessions', fx.aliceKey, { durationHours: 1, duration: '1h' })).json().details.fields).toHaveProperty('duration');
    await post(`/api/v1/sessions/${s.id}/stop`, fx.aliceKey);
  });

  it("hides other users' sessions: GET and stop are 404 and nothing changes", async () => {
    const mine = await startAs(fx.aliceKey);
    const got = await get(`/api/v1/sessions/${mine.id}`, fx.bobKey);
    expect(got.statusCode).toBe(404);
    expect(got.json().error).toBe('SESSION_NOT_FOUND');
    const stop = await post(`/api/v1/sessions/${mine.id}/stop`, fx.bobKey);
    expect(stop.statusCode).toBe(404);
    const ext = await post(`/api/v1/sessions/${mine.id}/extend`, fx.bobKey, { additionalMinutes: 30 });
    expect(ext.statusCode).toBe(404);
    const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.id, mine.id));
    expect(row).toMatchObject({ state: 'PENDING', endedAt: null, expiresAt: new Date(mine.expiresAt!) });
    expect((await get('/api/v1/sessions/not-a-uuid', fx.bobKey)).statusCode).toBe(404);
    await post(`/api/v1/sessions/${mine.id}/stop`, fx.aliceKey);
  });

  it('refuses an extension of a session that is not active (409)', async () => {
    const s = await startAs(fx.aliceKey);
    const res = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { additionalMinutes: 30 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'INVALID_STATE', details: { state: 'PENDING' } });
    const both = await post(`/api/v1/sessions/${s.id}/extend`, fx.aliceKey, { additionalMinutes: 30, additionalHours: 1 });
    expect(both.statusCode).toBe(400);
    await post(`/api/v1/sessions/${s.id}/stop`, fx.aliceKey);
  });
});

describe('authentication and scopes', () => {
  it('401 without a key, with an unknown, a revoked or an expired key', async () => {
    const none = await get('/api/v1/sessions');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.json().error).toBe('UNAUTHORIZED');
    expect((await get('/api/v1/sessions', 'eg_live_nope')).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/sessions', headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);

    const revoked = await keyFor(t, fx.alice, ['sessions:read']);
    expect((await get('/api/v1/sessions', revoked.token)).statusCode).toBe(200);
    await t.deps.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revoked.id));
    expect((await get('/api/v1/sessions', revoked.token)).statusCode).toBe(401);

    const expiring = await keyFor(t, fx.alice, ['sessions:read'], { expiresAt: new Date(t.clock.now().getTime() + 60_000) });
    expect((await get('/api/v1/sessions', expiring.token)).statusCode).toBe(200);
    t.clock.advance(61_000);
    expect((await get('/api/v1/sessions', expiring.token)).statusCode).toBe(401);
  });

  it('403 naming the missing scope; nothing is started', async () => {
    const before = await t.deps.db.select().from(sessions).where(eq(sessions.userId, fx.alice.id));
    const res = await post('/api/v1/sessions', fx.aliceReadOnly, { durationHours: 1 });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'FORBIDDEN', details: { requiredScope: 'sessions:write' } });
    expect(res.json().message).toContain('sessions:write');
    const after = await t.deps.db.select().from(sessions).where(eq(sessions.userId, fx.alice.id));
    expect(after).toHaveLength(before.length);
  });

  it('/me tells who the key acts as', async () => {
    const me = Me.parse((await get('/api/v1/me', fx.aliceReadOnly)).json());
    expect(me).toMatchObject({ user: { email: 'alice@example.com', isAdmin: false }, apiKey: { scopes: ['sessions:read'] } });
    expect(me.durations.offeredMinutes).toContain(120);
  });
});

describe('bad input', () => {
  it('400 on malformed JSON, unknown fields (an IP field included) and bad query strings', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { ...bearer(fx.aliceKey), 'content-type': 'application/json' }, payload: '{"durationHours": 2' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' });

    const unknown = await post('/api/v1/sessions', fx.aliceKey, { durationHours: 2, ipv4Address: '192.0.2.1' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'VALIDATION_FAILED', details: { fields: { ipv4Address: 'Unknown field.' } } });

    const typed = await post('/api/v1/sessions', fx.aliceKey, { durationHours: 'two' });
    expect(typed.json().details.fields.durationHours).toMatch(/number/);

    const query = await get('/api/v1/sessions?live=yes&foo=1', fx.aliceKey);
    expect(query.statusCode).toBe(400);
    expect(Object.keys(query.json().details.fields).sort()).toEqual(['foo', 'live']);

    const form = await app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { ...bearer(fx.aliceKey), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'durationHours=2' });
    expect(form.statusCode).toBe(415);
  });

  it('413 with a JSON error on an oversized body', async () => {
    const res = await post('/api/v1/sessions', fx.aliceKey, { duration: 'x'.repeat(BODY_LIMIT + 10) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    expect(res.json().requestId).toEqual(expect.any(String));
  });

  it('404 JSON for an unknown route', async () => {
    const res = await get('/api/v1/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'NOT_FOUND', requestId: expect.any(String) });
  });
});

describe('admin', () => {
  it('lists and stops any session of the org (reason ADMIN); a non-admin with the scope is refused', async () => {
    const s = await startAs(fx.aliceKey);
    const list = SessionList.parse((await get('/api/v1/admin/sessions', fx.adminKey)).json());
    expect(list.items.map((x) => x.id)).toContain(s.id);
    const filtered = SessionList.parse((await get('/api/v1/admin/sessions?state=expired,cancelled', fx.adminKey)).json());
    expect(filtered.items.every((x) => ['EXPIRED', 'CANCELLED'].includes(x.state))).toBe(true);

    const denied = await get('/api/v1/admin/sessions', fx.bobAdminScope);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toBe('FORBIDDEN');
    expect((await get('/api/v1/admin/sessions', fx.aliceKey)).json().details.requiredScope).toBe('sessions:admin');
    expect((await post(`/api/v1/admin/sessions/${s.id}/stop`, fx.bobAdminScope)).statusCode).toBe(404);

    const stop = await post(`/api/v1/admin/sessions/${s.id}/stop`, fx.adminKey);
    expect(stop.statusCode, stop.body).toBe(200);
    expect(Session.parse(stop.json())).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
  });

  it('reads the audit trail with filters (admin and audit:read only)', async () => {
    const res = await get('/api/v1/audit?action=SESSION_START&size=5', fx.adminKey);
    expect(res.statusCode, res.body).toBe(200);
    const page = AuditPage.parse(res.json());
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThanOrEqual(5);
    expect(page.items.every((e) => e.action === 'SESSION_START')).toBe(true);
    expect(page.items[0]).toMatchObject({ actorType: 'api_key', ip: '203.0.113.7' });
    expect(page.items[0]!.actorLabel).toMatch(/^alice@example\.com \(api-key:eg_live_/);
    expect((await get('/api/v1/audit?size=500', fx.adminKey)).statusCode).toBe(400);
    expect((await get('/api/v1/audit?from=yesterday', fx.adminKey)).statusCode).toBe(400);
    expect((await get('/api/v1/audit', fx.bobAdminScope)).statusCode).toBe(403);
  });

  it("an admin's key without sessions:admin acts on its owner's own sessions only: someone else's is 404 to read, extend and stop", async () => {
    const s = await startAs(fx.aliceKey);
    await t.runJobs();
    const key = fx.adminWithoutAdminScope;
    expect((await get(`/api/v1/sessions/${s.id}`, key)).statusCode).toBe(404);
    expect((await post(`/api/v1/sessions/${s.id}/extend`, key, { additionalHours: 1 })).statusCode).toBe(404);
    expect((await post(`/api/v1/sessions/${s.id}/stop`, key)).statusCode).toBe(404);
    const after = Session.parse((await get(`/api/v1/sessions/${s.id}`, fx.aliceKey)).json());
    expect(after).toMatchObject({ state: 'ACTIVE', expiresAt: s.expiresAt });
    const own = await startAs(key);
    expect((await get(`/api/v1/sessions/${own.id}`, key)).statusCode).toBe(200);
    expect((await post(`/api/v1/sessions/${own.id}/stop`, key)).statusCode).toBe(200);

    // With the scope, the same admin reads, extends and stops it (reason ADMIN).
    expect((await get(`/api/v1/sessions/${s.id}`, fx.adminKey)).statusCode).toBe(200);
    const extended = await post(`/api/v1/sessions/${s.id}/extend`, fx.adminKey, { additionalHours: 1 });
    expect(extended.statusCode, extended.body).toBe(200);
    const stopped = await post(`/api/v1/sessions/${s.id}/stop`, fx.adminKey);
    expect(Session.parse(stopped.json())).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
  });
});

describe('approvals', () => {
  it('the requester cannot decide; each role approves once through its own approver, and the API says which roles still wait', async () => {
    const s = await startAs(fx.daveKey);
    expect(s.state).toBe('AWAITING_APPROVAL');
    expect(s.approval).toMatchObject({ status: 'PENDING', waitingFor: ['payments', 'payments-audit'] });

    const self = await post(`/api/v1/sessions/${s.id}/approval`, fx.daveKey, { decision: 'approve' });
    expect(self.statusCode).toBe(403);
    expect(self.json().error).toBe('SELF_APPROVAL');
    expect((await post(`/api/v1/sessions/${s.id}/approval`, fx.adminKey, { decision: 'approve' })).json().details.requiredScope).toBe('approvals:write');
    expect((await post(`/api/v1/sessions/${s.id}/approval`, fx.carolKey, { decision: 'maybe' })).statusCode).toBe(400);

    const ok = await post(`/api/v1/sessions/${s.id}/approval`, fx.carolKey, { decision: 'approve', reason: 'on call' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ApprovalResult.parse(ok.json())).toEqual({ sessionId: s.id, state: 'AWAITING_APPROVAL', status: 'PENDING', alreadyDecided: false, decided: ['payments'], waitingFor: ['payments-audit'] });
    const half = Session.parse((await get(`/api/v1/sessions/${s.id}`, fx.daveKey)).json());
    expect(half.approval!.waitingFor).toEqual(['payments-audit']);
    expect(half.approval!.roles.map((r) => [r.role, r.status, r.reason])).toEqual([
      ['payments', 'APPROVED', 'on call'],
      ['payments-audit', 'PENDING', null],
    ]);
    const notHers = await post(`/api/v1/sessions/${s.id}/approval`, fx.carolKey, { decision: 'approve', role: 'payments-audit' });
    expect(notHers.statusCode).toBe(403);
    expect(notHers.json().error).toBe('NOT_AN_APPROVER');
    const twice = await post(`/api/v1/sessions/${s.id}/approval`, fx.carolKey, { decision: 'deny' });
    expect(ApprovalResult.parse(twice.json())).toMatchObject({ alreadyDecided: true, status: 'PENDING', waitingFor: ['payments-audit'] });

    const last = await post(`/api/v1/sessions/${s.id}/approval`, fx.bobApprover, { decision: 'approve', role: 'payments-audit' });
    expect(ApprovalResult.parse(last.json())).toEqual({ sessionId: s.id, state: 'PENDING', status: 'APPROVED', alreadyDecided: false, decided: ['payments-audit'], waitingFor: [] });

    await t.runJobs();
    expect(Session.parse((await get(`/api/v1/sessions/${s.id}`, fx.daveKey)).json()).state).toBe('ACTIVE');
  });

  it('an approver reads a request asked of them only with a key that may approve (approvals:write)', async () => {
    const s = await startAs(fx.daveKey);
    expect((await get(`/api/v1/sessions/${s.id}`, fx.carolReader)).statusCode).toBe(404);
    const seen = await get(`/api/v1/sessions/${s.id}`, fx.carolApproverReader);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(Session.parse(seen.json())).toMatchObject({ state: 'AWAITING_APPROVAL' });
    await post(`/api/v1/sessions/${s.id}/stop`, fx.daveKey);
  });
});
