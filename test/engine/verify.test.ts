import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditEvents, resources } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { verifyResource } from '../../src/engine/verify-resource.ts';
import { verifyAll } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

describe('resource verification', () => {
  it('a resource is opened only once verified; failures are recorded, audited and keep it out', async () => {
    const org = await seedOrg(t.deps.db);
    const user = await seedUser(t.deps.db, org.id);
    const resource = await seedResource(t.deps.db, org.id, { verified: false });
    await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id] });
    const start = () => startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.200', origin: 'api', actor: actorOf(user) });
    await expect(start()).rejects.toMatchObject({ code: 'NO_RESOURCES' });

    await verifyAll(t.deps);
    await t.runJobs();
    const [row] = await t.deps.db.select().from(resources).where(eq(resources.id, resource.id));
    expect(row!.verifiedAt).not.toBeNull();
    expect(row!.verifyError).toBeNull();
    await expect(start()).resolves.toBeTypeOf('string');

    t.firewall.verify = async () => ({ reachable: true, permitted: false, capacityLeft: { v4: null, v6: null }, message: 'AccessDenied: missing ec2:AuthorizeSecurityGroupIngress' });
    const report = await verifyResource(t.deps, resource.id);
    expect(report).toMatchObject({ ok: false, permitted: false });
    const [after] = await t.deps.db.select().from(resources).where(eq(resources.id, resource.id));
    expect(after!.verifyError).toContain('AccessDenied');
    const audits = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.targetId, resource.id)));
    expect(audits.map((a) => a.action)).toEqual(['RESOURCE_VERIFY_OK', 'RESOURCE_VERIFY_FAILED']);
  });
});
