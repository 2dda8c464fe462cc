import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { apiKeys, auditEvents } from '../../src/db/schema/index.ts';
import { createApiKey, DEFAULT_KEY_LIFETIME_DAYS } from '../../src/engine/api-keys.ts';
import { systemActor } from '../../src/engine/audit.ts';
import { ApiKeyList, RevokeApiKeyResult } from '../../src/http/api/schemas.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

let t: TestEngine;
let app: FastifyInstance;
let fx: Awaited<ReturnType<typeof seed>>;
const DAY = 86_400_000;

async function seed() {
  const db = t.deps.db;
  const org = await seedOrg(db);
  const other = await seedOrg(db);
  const admin = await seedUser(db, org.id, { email: 'admin@example.com', admin: true });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const mallory = await seedUser(db, other.id, { email: 'mallory@example.com', admin: true });
  return {
    org,
    admin,
    alice,
    adminKey: await keyFor(t, admin, ['api-keys:admin']),
    adminWithoutScope: await keyFor(t, admin, ['sessions:read', 'sessions:write', 'sessions:admin']),
    aliceWithScope: await keyFor(t, alice, ['api-keys:admin', 'sessions:read']),
    malloryKey: await keyFor(t, mallory, ['api-keys:admin']),
  };
}

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  fx = await seed();
});

const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) });
const post = (url: string, token: string) => app.inject({ method: 'POST', url, headers: bearer(token) });
const me = (token: string) => get('/api/v1/me', token);
const row = async (id: string) => (await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]!;

describe('lifetime', () => {
  it(`a key lives ${DEFAULT_KEY_LIFETIME_DAYS} days unless it says otherwise, and is refused (401) from the moment it expires`, async () => {
    const start = t.clock.now();
    const key = await keyFor(t, fx.alice, ['sessions:read']);
    expect((await row(key.id)).expiresAt!.getTime()).toBe(start.getTime() + 90 * DAY);
    expect((await me(key.token)).statusCode).toBe(200);
    try {
      t.clock.advance(90 * DAY - 1000);
      expect((await me(key.token)).statusCode).toBe(200);
      t.clock.advance(1000);
      expect((await me(key.token)).statusCode).toBe(401);
    } finally {
      t.clock.set(start);
    }
  });

  it('takes a lifetime of 1 to 365 days per key, and refuses anything else', async () => {
    const base = { orgId: fx.org.id, userId: fx.alice.id, name: 'x', scopes: ['sessions:read' as const], now: t.clock.now(), actor: systemActor(fx.org.id, 'test') };
    const week = await createApiKey(t.deps.db, { ...base, lifetimeDays: 7 });
    expect(week.expiresAt.getTime()).toBe(t.clock.now().getTime() + 7 * DAY);
    for (const lifetimeDays of [0, 366, 1.5, -1]) {
      await expect(createApiKey(t.deps.db, { ...base, lifetimeDays })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('last use', () => {
  it('is recorded on use, at most once a minute per key (no write for every request)', async () => {
    const key = await keyFor(t, fx.alice, ['sessions:read']);
    expect((await row(key.id)).lastUsedAt).toBeNull();
    await me(key.token);
    const first = (await row(key.id)).lastUsedAt!;
    expect(first.getTime()).toBe(t.clock.now().getTime());
    t.clock.advance(30_000);
    await me(key.token);
    await me(key.token);
    expect((await row(key.id)).lastUsedAt).toEqual(first);
    t.clock.advance(31_000);
    await me(key.token);
    expect((await row(key.id)).lastUsedAt!.getTime()).toBe(t.clock.now().getTime());
  });
});

describe('GET /api/v1/admin/api-keys', () => {
  it("lists the organization's keys for an admin with api-keys:admin: who, scopes, dates, last use, status — never the token or its hash", async () => {
    const res = await get('/api/v1/admin/api-keys', fx.adminKey.token);
    expect(res.statusCode, res.body).toBe(200);
    const list = ApiKeyList.parse(res.json());
    const mine = list.items.find((k) => k.id === fx.adminKey.id)!;
    expect(mine).toMatchObject({ prefix: fx.adminKey.prefix, userEmail: 'admin@example.com', scopes: ['api-keys:admin'], status: 'active', revokedAt: null });
    expect(mine.lastUsedAt).not.toBeNull();
    expect(list.items.every((k) => k.userEmail !== 'mallory@example.com')).toBe(true);
    expect(res.body).not.toContain(fx.adminKey.token);
    expect(res.body).not.toMatch(/tokenHash|token_hash/);
  });

  it('is refused without the scope (403) and to a non-admin holding it (403)', async () => {
    expect((await get('/api/v1/admin/api-keys', fx.adminWithoutScope.token)).json()).toMatchObject({ error: 'FORBIDDEN', details: { requiredScope: 'api-keys:admin' } });
    expect((await get('/api/v1/admin/api-keys', fx.aliceWithScope.token)).statusCode).toBe(403);
  });
});

describe('POST /api/v1/admin/api-keys/:id/revoke', () => {
  it('revokes a key of the organization: its very next request is 401; revoking again changes nothing; audited', async () => {
    const victim = await keyFor(t, fx.alice, ['sessions:read']);
    expect((await me(victim.token)).statusCode).toBe(200);
    const res = await post(`/api/v1/admin/api-keys/${victim.id}/revoke`, fx.adminKey.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(RevokeApiKeyResult.parse(res.json())).toMatchObject({ alreadyRevoked: false, key: { id: victim.id, status: 'revoked' } });
    expect((await me(victim.token)).statusCode).toBe(401);
    const again = RevokeApiKeyResult.parse((await post(`/api/v1/admin/api-keys/${victim.id}/revoke`, fx.adminKey.token)).json());
    expect(again.alreadyRevoked).toBe(true);
    const events = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.targetId, victim.id));
    expect(events.filter((e) => e.action === 'API_KEY_REVOKE').map((e) => e.result)).toEqual(['SUCCESS']);
  });

  it("is 404 for another organization's key or an unknown id, 403 for a non-admin; nothing changes", async () => {
    expect((await post(`/api/v1/admin/api-keys/${fx.adminKey.id}/revoke`, fx.malloryKey.token)).statusCode).toBe(404);
    expect((await post('/api/v1/admin/api-keys/00000000-0000-4000-8000-000000000000/revoke', fx.adminKey.token)).statusCode).toBe(404);
    expect((await post('/api/v1/admin/api-keys/not-an-id/revoke', fx.adminKey.token)).statusCode).toBe(404);
    expect((await post(`/api/v1/admin/api-keys/${fx.adminKey.id}/revoke`, fx.aliceWithScope.token)).statusCode).toBe(403);
    expect((await row(fx.adminKey.id)).revokedAt).toBeNull();
    expect((await me(fx.adminKey.token)).statusCode).toBe(200);
  });
});
