import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import { CLAIM_STATUS_GRACE_MINUTES, confirmClaim, createClaim } from '../../src/engine/claims.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { cookieHeader, createTestServer, csrfField, PUBLIC_URL } from './helpers.ts';

/*
 * Issue 10 point 16: a used claim's status URL showed the session's addresses and errors to
 * whoever held the link, forever. It closes CLAIM_STATUS_GRACE_MINUTES after the session ended.
 */
let t: TestEngine;
let app: FastifyInstance;
let fx: { orgId: string; alice: Awaited<ReturnType<typeof seedUser>> };

beforeAll(async () => {
  t = await createTestEngine();
  ({ app } = await createTestServer(t));
  const org = await seedOrg(t.deps.db, { plan: 'team' });
  const alice = await seedUser(t.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(t.deps.db, org.id, { name: 'prod-db' });
  await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  fx = { orgId: org.id, alice };
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const IP = '203.0.113.77';
const MINUTE = 60_000;

/** A confirmed claim whose session is ACTIVE; returns the token and the session id. */
async function activeClaim(): Promise<{ token: string; sessionId: string }> {
  const { token } = await createClaim(t.deps, { orgId: fx.orgId, userId: fx.alice.id, durationMinutes: 60, origin: 'slack', ttlSeconds: 300, actor: actorOf(fx.alice) });
  const page = await app.inject({ url: `/c/${token}`, remoteAddress: IP });
  const res = await app.inject({
    method: 'POST',
    url: `/c/${token}`,
    remoteAddress: IP,
    headers: { cookie: cookieHeader(page.headers['set-cookie']), origin: PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `csrf=${encodeURIComponent(csrfField(page.body) ?? '')}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  await t.runJobs();
  const [session] = await t.deps.db.select().from(sessions).where(eq(sessions.ipv4, IP));
  expect(session?.state).toBe('ACTIVE');
  return { token, sessionId: session!.id };
}

const status = (token: string) => app.inject({ url: `/c/${token}/status` });

describe('the status page of a used claim', () => {
  it(`stays open while the session runs and for ${CLAIM_STATUS_GRACE_MINUTES} minutes after it ended, then closes (410, no addresses)`, async () => {
    const { token, sessionId } = await activeClaim();
    t.clock.advance(30 * MINUTE);
    expect((await status(token)).json()).toMatchObject({ state: 'ACTIVE', ipv4: IP });

    await stopSession(t.deps, { sessionId, actor: actorOf(fx.alice) });
    await t.runJobs();
    expect((await status(token)).json()).toMatchObject({ state: 'CANCELLED', done: true });
    t.clock.advance((CLAIM_STATUS_GRACE_MINUTES - 1) * MINUTE);
    expect((await status(token)).statusCode).toBe(200);

    t.clock.advance(2 * MINUTE);
    const closed = await status(token);
    expect(closed.statusCode).toBe(410);
    expect(closed.json()).toMatchObject({ error: 'CLAIM_CLOSED' });
    expect(closed.body).not.toContain(IP);

    const page = await app.inject({ url: `/c/${token}`, remoteAddress: IP });
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link closed');
    expect(page.body).not.toContain('/status');
    expect(page.body).not.toContain(IP);

    // Confirming it again (a reload of the page Confirm returned) says closed too, not "used" with the status.
    await expect(confirmClaim(t.deps, { token, ip: IP })).rejects.toMatchObject({ code: 'CLAIM_CLOSED' });
  });
});
