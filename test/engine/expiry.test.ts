import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/engine/start-session.ts';
import { extendSession } from '../../src/engine/extend-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { sweepOverdue } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { sql } from 'drizzle-orm';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

const MIN = 60_000;

async function activeSession(opts: { hours?: number; capHours?: number; plan?: 'free' | 'team' } = {}) {
  const org = await seedOrg(t.deps.db, { plan: opts.plan ?? 'team' });
  const user = await seedUser(t.deps.db, org.id);
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id], capHours: opts.capHours });
  const actor = actorOf(user);
  const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: (opts.hours ?? 1) * 60, ipv4: '203.0.113.150', origin: 'api', actor });
  await t.runJobs();
  return { id, actor, resource, view: () => getSession(t.deps, actor, id) };
}

const expireJobs = async (id: string) => (await t.jobs()).filter((j) => j.key === `expire_session:${id}`);

describe('expiry', () => {
  it('ends the session at expiresAt (and not a moment before), releasing its rules', async () => {
    const { id, resource, view } = await activeSession({ hours: 1 });
    expect((await view()).state).toBe('ACTIVE');
    t.clock.advance(59 * MIN);
    await t.runJobs();
    expect((await view()).state).toBe('ACTIVE');
    t.clock.advance(1 * MIN);
    await t.runJobs();
    const v = await view();
    expect(v.state).toBe('EXPIRED');
    expect(v.endedReason).toBe('EXPIRED');
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
    expect(await expireJobs(id)).toHaveLength(0);
  });

  it('extend adds to expiresAt and replaces the expiry job', async () => {
    const { id, actor, view } = await activeSession({ hours: 1 });
    const before = (await view()).expiresAt!;
    const jobBefore = await expireJobs(id);
    expect(jobBefore).toHaveLength(1);
    expect(jobBefore[0]!.runAt.getTime()).toBe(before.getTime());

    const result = await extendSession(t.deps, { sessionId: id, additionalMinutes: 120, actor });
    expect(result).toMatchObject({ trimmed: false, addedMinutes: 120 });
    const jobs = await expireJobs(id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.runAt.getTime()).toBe(before.getTime() + 120 * MIN);

    t.clock.advance(61 * MIN); // past the original end: nothing happens
    await t.runJobs();
    expect((await view()).state).toBe('ACTIVE');
    t.clock.advance(120 * MIN);
    await t.runJobs();
    expect((await view()).state).toBe('EXPIRED');
  });

  it('trims an extension at the cap and refuses one at the cap', async () => {
    const { id, actor, view } = await activeSession({ hours: 4, capHours: 4 });
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor })).rejects.toMatchObject({ code: 'EXTENSION_AT_CAP' });

    const b = await activeSession({ hours: 2, capHours: 4 });
    const r = await extendSession(t.deps, { sessionId: b.id, additionalMinutes: 180, actor: b.actor });
    expect(r).toMatchObject({ trimmed: true, addedMinutes: 120 });
    const v = await b.view();
    expect(v.expiresAt!.getTime() - v.startedAt!.getTime()).toBe(4 * 60 * MIN);
    expect(v.canExtend).toBe(false);
    await expect(extendSession(t.deps, { sessionId: b.id, additionalMinutes: 60, actor: b.actor })).rejects.toMatchObject({ code: 'EXTENSION_AT_CAP' });
    void view;
  });

  it('the sweep ends sessions whose expiry job was lost (e.g. downtime)', async () => {
    const { id, view } = await activeSession({ hours: 1 });
    await t.deps.db.execute(sql`delete from graphile_worker._private_jobs where key = ${`expire_session:${id}`}`);
    t.clock.advance(90 * MIN);
    const report = await sweepOverdue(t.deps);
    expect(report.expired).toBeGreaterThanOrEqual(1);
    await t.runJobs();
    expect((await view()).state).toBe('EXPIRED');
  });
});
