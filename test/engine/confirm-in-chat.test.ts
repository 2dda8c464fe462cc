import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { roles } from '../../src/db/schema/index.ts';
import { confirmClaim, createClaim, previewClaim } from '../../src/engine/claims.ts';
import { confirmAddress } from '../../src/engine/confirm-address.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { applyOrgs, orgBySlug } from '../config/apply-helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

/** A claim link of `user`, confirmed in a browser at `ip`; returns the session it made. */
async function claimFrom(user: Awaited<ReturnType<typeof seedUser>>, ip: string) {
  const claim = await createClaim(t.deps, { orgId: user.orgId, userId: user.id, durationMinutes: 60, origin: 'slack', ttlSeconds: 300, actor: actorOf(user) });
  const preview = await previewClaim(t.deps, claim.token);
  const { sessionId } = await confirmClaim(t.deps, { token: claim.token, ip });
  return { preview, sessionId, view: () => getSession(t.deps, actorOf(user), sessionId) };
}

describe('claim.confirmInChat (issue 10, point 7)', () => {
  it("set on a role, it holds that role's members; members of other roles start as before", async () => {
    const org = await seedOrg(t.deps.db);
    const [strict, relaxed] = [await seedUser(t.deps.db, org.id), await seedUser(t.deps.db, org.id)];
    const res = await seedResource(t.deps.db, org.id, { name: 'db' });
    const role = await seedRole(t.deps.db, org.id, { members: [strict.id], resources: [res.id] });
    await t.deps.db.update(roles).set({ confirmClaimInChat: true }).where(eq(roles.id, role.id));
    await seedRole(t.deps.db, org.id, { members: [relaxed.id], resources: [res.id] });

    const held = await claimFrom(strict, '203.0.113.66');
    expect(held.preview).toMatchObject({ confirmInChat: true, resources: [{ name: 'db', ports: [{ protocol: 'tcp', from: 22, to: 22 }] }] });
    expect((await held.view()).state).toBe('AWAITING_CONFIRMATION');
    await t.runJobs();
    expect(t.firewall.cidrs(res.id)).toEqual([]);

    const free = await claimFrom(relaxed, '203.0.113.67');
    expect(free.preview.confirmInChat).toBe(false);
    expect((await free.view()).state).toBe('PENDING');
  });

  it('only the requester may open; after Open a role that needs approval still asks for it', async () => {
    const org = await seedOrg(t.deps.db, { settings: { claim: { confirmInChat: true } } });
    const [dev, admin, approver] = [await seedUser(t.deps.db, org.id), await seedUser(t.deps.db, org.id, { admin: true }), await seedUser(t.deps.db, org.id)];
    const res = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { name: 'prod', members: [dev.id], resources: [res.id], approvers: [approver.id] });
    const { sessionId, view } = await claimFrom(dev, '203.0.113.68');
    await expect(confirmAddress(t.deps, { sessionId, actor: actorOf(admin) })).rejects.toMatchObject({ code: 'NOT_REQUESTER' });
    await expect(confirmAddress(t.deps, { sessionId, actor: actorOf(dev) })).resolves.toMatchObject({ state: 'AWAITING_APPROVAL', address: '203.0.113.68' });
    expect((await view()).approval).toMatchObject({ status: 'PENDING', waitingFor: ['prod'] });
    await expect(confirmAddress(t.deps, { sessionId, actor: actorOf(dev) })).resolves.toMatchObject({ alreadyDone: true });
  });

  it('the org file sets it per organization and per role', async () => {
    await applyOrgs(t.deps, [
      {
        slug: 'claimco',
        name: 'Claim Co',
        plan: 'team',
        claim: { confirmInChat: true },
        users: [{ email: 'a@claim.example' }],
        resources: [{ name: 'box', kind: 'memory', identifier: 'box' }],
        roles: [{ name: 'ops', members: ['a@claim.example'], resources: ['box'], claim: { confirmInChat: true } }],
      },
    ]);
    const org = await orgBySlug(t.deps.db, 'claimco');
    expect(org!.settings.claim).toEqual({ confirmInChat: true });
    const [role] = await t.deps.db.select().from(roles).where(eq(roles.orgId, org!.id));
    expect(role!.confirmClaimInChat).toBe(true);
  });
});
