import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { roles } from '../../src/db/schema/index.ts';
import { Session } from '../../src/http/api/schemas.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { bearer, keyFor, useTestServer } from './helpers.ts';

/** A start's reason over the REST API: recorded, shown in every session response, required where a role says so. */
let t: TestEngine;
let app: FastifyInstance;
let fx: { key: string; roleId: string };

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  const org = await seedOrg(t.deps.db, { plan: 'team' });
  const alice = await seedUser(t.deps.db, org.id);
  const r = await seedResource(t.deps.db, org.id);
  const role = await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  fx = { key: (await keyFor(t, alice, ['sessions:read', 'sessions:write'])).token, roleId: role.id };
});

const start = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: '203.0.113.7', headers: bearer(fx.key), payload });

describe('reason over the REST API', () => {
  it('is recorded and shown, one line; absent is null', async () => {
    const res = await start({ duration: '1h', reason: 'fixing INC-123\nsecond line' });
    expect(res.statusCode, res.body).toBe(201);
    const s = Session.parse(res.json());
    expect(s.reason).toBe('fixing INC-123 second line');
    const read = Session.parse((await app.inject({ url: `/api/v1/sessions/${s.id}`, headers: bearer(fx.key) })).json());
    expect(read.reason).toBe('fixing INC-123 second line');
    await app.inject({ method: 'POST', url: `/api/v1/sessions/${s.id}/stop`, headers: bearer(fx.key) });
  });

  it('is required when a role says requireReason', async () => {
    await t.deps.db.update(roles).set({ requireReason: true }).where(eq(roles.id, fx.roleId));
    const res = await start({ duration: '1h' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'REASON_REQUIRED' });
    expect((await start({ duration: '1h', reason: 'deploy' })).statusCode).toBe(201);
  });
});
