import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { approvals, auditEvents, sessionRules } from '../../src/db/schema/index.ts';
import { checkAccess } from '../../src/engine/check-access.ts';
import { changeSessionAddress } from '../../src/engine/session-address.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { RESOURCE_TAG_KEY } from '../../src/cloud/aws/target.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import { actorOf, seedOrg, seedRole, seedUser } from '../helpers/seed.ts';

/**
 * "Why can't I connect?" on the cloud emulators (real SDKs): each verdict from a live read of the
 * firewalls, repair of a drifted rule, and moving or adding an address under reference counting.
 */
let lab: CloudLab;
let t: TestEngine;
beforeAll(async () => {
  lab = await startCloudLab();
  t = await createTestEngine({ providers: lab.registry });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await lab?.close();
});

async function person(opts: { settings?: Record<string, unknown> } = {}) {
  const org = await seedOrg(t.deps.db, { settings: opts.settings });
  const resources = await lab.seedResources(t.deps.db, org.id, { kinds: ['aws-security-group', 'gcp-firewall'] });
  const user = await seedUser(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: resources.map((r) => r.id) });
  const actor = actorOf(user);
  return {
    org,
    user,
    actor,
    resources,
    start: async (ipv4?: string, ipv6?: string) => {
      const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4, ipv6, origin: 'api', actor });
      await t.runJobs();
      return id;
    },
    check: (sessionId: string, ...seen: string[]) => checkAccess(t.deps, actor, { sessionId, seen }),
    change: (sessionId: string, ip: string, mode: 'move' | 'add') => changeSessionAddress(t.deps, actor, { sessionId, ip, mode }),
  };
}

const kinds = (v: { verdicts: { kind: string }[] }) => v.verdicts.map((x) => x.kind).filter((k) => k !== 'ports');

describe('access check', () => {
  it('all is well: says so, per resource, with the ports each opens', async () => {
    const p = await person();
    const id = await p.start('203.0.113.10');
    const check = await p.check(id, '203.0.113.10');
    expect(kinds(check)).toEqual(['ok']);
    expect(check.addresses).toEqual(['203.0.113.10/32']);
    expect(check.resources.map((r) => r.rules.map((x) => x.inCloud))).toEqual([['present'], ['present']]);
    expect(check.verdicts.filter((v) => v.kind === 'ports').map((v) => v.text)).toEqual(check.resources.map((r) => `${r.name} only opens tcp/22.`));
    const [audit] = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'SESSION_CHECK'), eq(auditEvents.targetId, id)));
    expect(audit?.result).toBe('SUCCESS');
  });

  it('the address changed: names both', async () => {
    const p = await person();
    const id = await p.start('203.0.113.10');
    const check = await p.check(id, '198.51.100.7');
    expect(check.verdicts[0]).toEqual({ kind: 'address-changed', text: 'Your address changed from 203.0.113.10 to 198.51.100.7.' });
    expect(check.newAddresses).toEqual(['198.51.100.7']);
  });

  it('IPv6 preferred while only IPv4 was opened', async () => {
    const p = await person();
    const id = await p.start('203.0.113.11');
    const check = await p.check(id, '203.0.113.11', '2001:db8::11');
    expect(kinds(check)).toEqual(['family-mismatch']);
    expect(check.verdicts[0]!.text).toBe('Your computer uses IPv6 here (2001:db8::11) but the session opened only IPv4.');
  });

  it('a rule deleted in the cloud: found by a live read, reported, repaired', async () => {
    const p = await person();
    const id = await p.start('203.0.113.12');
    const aws = p.resources.find((r) => r.kind === 'aws-security-group')!;
    const ours = () => lab.ec2.inboundRules(aws.identifier, { key: RESOURCE_TAG_KEY, value: aws.id });
    lab.ec2.removeRule(ours()[0]!.id);

    const check = await p.check(id, '203.0.113.12');
    expect(kinds(check)).toEqual(['rule-missing']);
    expect(check.verdicts[0]!.text).toBe(`${aws.name}: The rule for tcp/22 from 203.0.113.12 is missing in the cloud; repairing now.`);
    expect(check.resources.find((r) => r.kind === 'aws-security-group')!.repairing).toBe(true);
    await t.runJobs();
    expect(lab.cloudCidrs(aws)).toEqual(['203.0.113.12/32']);
    expect(kinds(await p.check(id, '203.0.113.12'))).toEqual(['ok']);
  });

  it('a resource that opens other ports than the person uses: the verdict names what it opens', async () => {
    const p = await person();
    const id = await p.start('203.0.113.13');
    const check = await p.check(id, '203.0.113.13');
    expect(check.verdicts.some((v) => v.kind === 'ports' && /only opens tcp\/22\.$/.test(v.text))).toBe(true);
  });

  it('nobody else may check a session, an admin included, and the refusal is audited', async () => {
    const p = await person();
    const id = await p.start('203.0.113.14');
    const admin = await seedUser(t.deps.db, p.org.id, { admin: true });
    await expect(checkAccess(t.deps, actorOf(admin), { sessionId: id, seen: ['203.0.113.14'] })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    const denied = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'SESSION_CHECK'), eq(auditEvents.result, 'DENIED')));
    expect(denied.some((e) => e.targetId === id)).toBe(true);
  });

  it('an ended session: says so and reads no firewall', async () => {
    const p = await person();
    const id = await p.start('203.0.113.15');
    await stopSession(t.deps, { sessionId: id, actor: p.actor });
    await t.runJobs();
    const check = await p.check(id, '203.0.113.15');
    expect(kinds(check)).toEqual(['not-live']);
  });
});

describe('following a changed address', () => {
  it('two people behind one NAT, one moves away: the shared rule stays for the other', async () => {
    const a = await person();
    const id = await a.start('203.0.113.50');
    const b = await seedUser(t.deps.db, a.org.id);
    await seedRole(t.deps.db, a.org.id, { members: [b.id], resources: a.resources.map((r) => r.id) });
    const bId = await startSession(t.deps, { orgId: a.org.id, userId: b.id, durationMinutes: 60, ipv4: '203.0.113.50', origin: 'api', actor: actorOf(b) });
    await t.runJobs();

    const expiresBefore = (await getSession(t.deps, a.actor, id)).expiresAt;
    const moved = await a.change(id, '198.51.100.9', 'move');
    expect(moved).toMatchObject({ released: ['203.0.113.50/32'], addresses: ['198.51.100.9/32'] });
    await t.runJobs();
    for (const r of a.resources) expect(lab.cloudCidrs(r)).toEqual(['198.51.100.9/32', '203.0.113.50/32']);
    const view = await getSession(t.deps, a.actor, id);
    expect(view.state).toBe('ACTIVE');
    expect(view.expiresAt).toEqual(expiresBefore);
    expect(view.ipv4).toBe('198.51.100.9');
    expect(view.rules.filter((r) => r.state === 'APPLIED').map((r) => r.cidr)).toEqual(['198.51.100.9/32', '198.51.100.9/32']);
    expect(kinds(await a.check(id, '198.51.100.9'))).toEqual(['ok']);

    await stopSession(t.deps, { sessionId: bId, actor: actorOf(b) });
    await t.runJobs();
    for (const r of a.resources) expect(lab.cloudCidrs(r)).toEqual(['198.51.100.9/32']);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'SESSION_ADDRESS_MOVE'), eq(auditEvents.targetId, id)));
    expect(audit[0]?.details).toMatchObject({ address: '198.51.100.9', released: ['203.0.113.50/32'] });
  });

  it('adds an address up to the organization limit, then refuses with the reason', async () => {
    const p = await person();
    const id = await p.start('203.0.113.60');
    await p.change(id, '198.51.100.60', 'add');
    await t.runJobs();
    for (const r of p.resources) expect(lab.cloudCidrs(r)).toEqual(['198.51.100.60/32', '203.0.113.60/32']);
    expect((await getSession(t.deps, p.actor, id)).state).toBe('ACTIVE');
    await expect(p.change(id, '192.0.2.60', 'add')).rejects.toMatchObject({ code: 'TOO_MANY_ADDRESSES' });
    await expect(p.change(id, '203.0.113.60', 'add')).rejects.toMatchObject({ code: 'ALREADY_HELD' });
    // Moving back to an address it let go before reuses its rows.
    await p.change(id, '192.0.2.61', 'move');
    await p.change(id, '203.0.113.60', 'move');
    await t.runJobs();
    for (const r of p.resources) expect(lab.cloudCidrs(r)).toEqual(['203.0.113.60/32']);

    // Ending the session releases everything it held.
    await stopSession(t.deps, { sessionId: id, actor: p.actor });
    await t.runJobs();
    for (const r of p.resources) expect(lab.cloudCidrs(r)).toEqual([]);
    const rules = await t.deps.db.select().from(sessionRules).where(eq(sessionRules.sessionId, id));
    expect(rules.every((r) => r.state === 'REMOVED')).toBe(true);
  });

  it('a session approved by a role that does not allow moves must ask again; one that allows it may move', async () => {
    const p = await person();
    const id = await p.start('203.0.113.70');
    const [role] = await t.deps.db.select().from(approvals).where(eq(approvals.sessionId, id));
    expect(role).toBeUndefined();
    const { roles } = await import('../../src/db/schema/index.ts');
    const strict = await seedRole(t.deps.db, p.org.id, { name: 'prod-db' });
    await t.deps.db.insert(approvals).values({ sessionId: id, roleId: strict.id, roleName: 'prod-db', status: 'APPROVED', expiresAt: new Date(Date.now() + 60_000) });
    await expect(p.change(id, '198.51.100.70', 'move')).rejects.toMatchObject({ code: 'APPROVAL_REQUIRED' });
    await t.deps.db.update(roles).set({ approvalAllowsAddressChange: true }).where(eq(roles.id, strict.id));
    await p.change(id, '198.51.100.70', 'move');
    await t.runJobs();
    for (const r of p.resources) expect(lab.cloudCidrs(r)).toEqual(['198.51.100.70/32']);
  });

  it('only the owner may move a session, and only a running one', async () => {
    const p = await person();
    const id = await p.start('203.0.113.80');
    const other = await seedUser(t.deps.db, p.org.id, { admin: true });
    await expect(changeSessionAddress(t.deps, actorOf(other), { sessionId: id, ip: '198.51.100.80', mode: 'move' })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await stopSession(t.deps, { sessionId: id, actor: p.actor });
    await expect(p.change(id, '198.51.100.80', 'move')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
