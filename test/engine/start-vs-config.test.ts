import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources, sessionRules } from '../../src/db/schema/index.ts';
import { startSession, startSessionInTx } from '../../src/engine/start-session.ts';
import { applyOrgs, userByEmail } from '../config/apply-helpers.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf } from '../helpers/seed.ts';

/*
 * A start and an org-file apply that deactivates a resource, at the same moment. Whichever
 * commits first, no live rule may end up on an inactive resource: either the start leaves the
 * resource out, or the apply sees the new session's rules and refuses.
 */
let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

function org(slug: string, resourceNames: string[]) {
  return {
    slug,
    name: slug,
    plan: 'team',
    credentials: [{ name: 'mem', provider: 'memory', ref: 'env:MEM_KEYS' }],
    resources: resourceNames.map((name) => ({ name, kind: 'memory', credential: 'mem', identifier: `${slug}-${name}`, ports: [{ protocol: 'tcp', from: 22 }] })),
    users: [{ email: `alice@${slug}.io` }],
    roles: [{ name: 'ops', members: [`alice@${slug}.io`], resources: resourceNames }],
  };
}

async function setUp(slug: string) {
  await applyOrgs(t.deps, [org(slug, ['db', 'ssh'])]);
  await t.runJobs(); // verification, so both resources are usable
  const alice = await userByEmail(t.deps.db, `alice@${slug}.io`);
  const input = { orgId: alice.orgId, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.90', origin: 'api' as const, actor: actorOf(alice) };
  const [ssh] = await t.deps.db.select().from(resources).where(and(eq(resources.orgId, alice.orgId), eq(resources.name, 'ssh')));
  return { input, ssh: ssh! };
}

/** Resolves after `ms` with 'pending' unless `p` settled first. */
const stillPending = (p: Promise<unknown>, ms = 300) => Promise.race([p.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r('pending'), ms))]);

describe('a start racing an org-file apply that removes a resource', () => {
  it('apply first: the start waits for it, then opens only what is still active', async () => {
    const { input, ssh } = await setUp('race-a');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // What the apply does to a removed resource, held open: its row locked and deactivated.
    const apply = t.deps.db.transaction(async (tx) => {
      await tx.update(resources).set({ isActive: false }).where(eq(resources.id, ssh.id));
      await gate;
    });
    await new Promise((r) => setTimeout(r, 50));
    const start = startSession(t.deps, input);
    expect(await stillPending(start)).toBe('pending');
    release();
    await apply;
    const id = await start;
    const rules = await t.deps.db.select().from(sessionRules).where(eq(sessionRules.sessionId, id));
    expect(rules.map((r) => r.resourceId)).not.toContain(ssh.id);
    expect(rules).toHaveLength(1);
  });

  it('start first: the apply waits for its rules, then refuses to deactivate what they use', async () => {
    const { input, ssh } = await setUp('race-b');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const start = t.deps.db.transaction(async (tx) => {
      const id = await startSessionInTx(tx, t.deps, input);
      await gate;
      return id;
    });
    await new Promise((r) => setTimeout(r, 50));
    const apply = applyOrgs(t.deps, [org('race-b', ['db'])]);
    expect(await stillPending(apply)).toBe('pending');
    release();
    await start;
    await expect(apply).rejects.toMatchObject({ code: 'RESOURCE_IN_USE' });
    const [row] = await t.deps.db.select().from(resources).where(eq(resources.id, ssh.id));
    expect(row!.isActive).toBe(true);
  });
});
