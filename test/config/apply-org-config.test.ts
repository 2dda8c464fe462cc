import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatIdentities,
  chatWorkspaces,
  credentials,
  resources,
  roleApprovers,
  roleMembers,
  roles,
  userResources,
  users,
} from '../../src/db/schema/index.ts';
import { formatOrgConfigDiff } from '../../src/engine/apply-org-config.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { setApprovalChannel } from '../../src/engine/set-approval-channel.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedUser } from '../helpers/seed.ts';
import { applyOrgs, configAudits, linesOf, orgBySlug, sessionState, snapshotDb, userByEmail } from './apply-helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

/** A small but complete organization; `n` keeps chat ids unique per test. */
function acme(slug: string, n: number) {
  return {
    slug,
    name: 'Acme',
    plan: 'team',
    settings: { maxSessionHours: 8 },
    slack: { teamIds: [`T${n}000`] },
    teams: { tenantIds: [`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`] },
    credentials: [{ name: 'mem', provider: 'memory', ref: 'env:MEM_KEYS', options: { region: 'local' } }],
    resources: [
      { name: 'db', kind: 'memory', identifier: 'db-1', ports: [{ protocol: 'tcp', from: 5432 }], credential: 'mem' },
      { name: 'ssh', kind: 'memory', identifier: 'ssh-1', ports: [{ protocol: 'tcp', from: 22 }] },
    ],
    users: [
      { email: `alice@${slug}.io`, name: 'Alice', admin: true, slack: `U${n}00A`, resources: ['ssh'] },
      { email: `bob@${slug}.io`, teams: `00000000-0000-4000-8000-b${String(n).padStart(11, '0')}` },
    ],
    roles: [
      {
        name: 'dba',
        maxSessionDurationHours: 4,
        members: [`alice@${slug}.io`, `bob@${slug}.io`],
        resources: ['db'],
        approval: { approvers: [`alice@${slug}.io`], channels: { slack: `C${n}000` } },
      },
      { name: 'devs', members: [`bob@${slug}.io`], resources: ['db', 'ssh'] },
    ],
  };
}

/** Starts a session once the resources are verified (the apply queued that), and lets it apply. */
async function startFor(email: string, ip: string) {
  await t.runJobs();
  const user = await userByEmail(t.deps.db, email);
  const id = await startSession(t.deps, { orgId: user.orgId, userId: user.id, durationMinutes: 60, ipv4: ip, origin: 'api', actor: actorOf(user) });
  await t.runJobs();
  return id;
}

describe('applyOrgConfig', () => {
  it('creates an organization with everything in it, and a second apply changes nothing', async () => {
    const diff = await applyOrgs(t.deps, [acme('one', 1)]);
    expect(linesOf(diff)).toEqual([
      '+ organization one (Acme, plan team)',
      '+ slack workspace T1000',
      '+ teams tenant 00000000-0000-4000-8000-000000000001',
      '+ credential mem (memory, env:MEM_KEYS)',
      '+ resource db (memory db-1)',
      '+ resource ssh (memory ssh-1)',
      '+ user alice@one.io (Alice, admin, slack U100A, resources ssh)',
      '+ user bob@one.io (teams 00000000-0000-4000-8000-b00000000001)',
      '+ role dba (2 members, 1 resource, max 4h, approval by alice@one.io)',
      '+ role devs (1 member, 2 resources)',
    ]);
    expect(diff.changed).toBe(true);

    const org = (await orgBySlug(t.deps.db, 'one'))!;
    expect(org).toMatchObject({ name: 'Acme', plan: 'team', settings: { maxSessionHours: 8 } });
    const alice = await userByEmail(t.deps.db, 'alice@one.io');
    expect(alice).toMatchObject({ displayName: 'Alice', isAdmin: true, isActive: true });
    const [dba] = await t.deps.db.select().from(roles).where(and(eq(roles.orgId, org.id), eq(roles.name, 'dba')));
    expect(dba).toMatchObject({ maxSessionDurationHours: 4, requiresApproval: true, approvalChannels: { slack: 'C1000' }, approvalTimeoutMinutes: 30 });
    expect(await t.deps.db.select().from(roleMembers).where(eq(roleMembers.roleId, dba!.id))).toHaveLength(2);
    expect(await t.deps.db.select().from(roleApprovers).where(eq(roleApprovers.roleId, dba!.id))).toEqual([{ roleId: dba!.id, userId: alice.id }]);
    expect(await t.deps.db.select().from(userResources).where(eq(userResources.userId, alice.id))).toHaveLength(1);
    const [db] = await t.deps.db.select().from(resources).where(and(eq(resources.orgId, org.id), eq(resources.name, 'db')));
    const [mem] = await t.deps.db.select().from(credentials).where(eq(credentials.orgId, org.id));
    expect(db).toMatchObject({ kind: 'memory', identifier: 'db-1', ports: [{ protocol: 'tcp', from: 5432, to: 5432 }], credentialId: mem!.id, isActive: true });
    expect(mem).toMatchObject({ secretRef: 'env:MEM_KEYS', options: { region: 'local' } });
    const ids = await t.deps.db.select().from(chatIdentities).where(eq(chatIdentities.userId, alice.id));
    expect(ids).toEqual([expect.objectContaining({ platform: 'slack', externalId: 'U100A', source: 'config' })]);
    expect(await t.deps.db.select().from(chatWorkspaces).where(eq(chatWorkspaces.orgId, org.id))).toHaveLength(2);

    const again = await applyOrgs(t.deps, [acme('one', 1)]);
    expect(again).toEqual({ dryRun: false, changed: false, orgs: [{ slug: 'one', lines: [] }] });
    expect(formatOrgConfigDiff(again)).toBe('no changes');
  });

  it('shows what changed, field by field, and converges', async () => {
    await applyOrgs(t.deps, [acme('two', 2)]);
    const next = acme('two', 2);
    next.settings.maxSessionHours = 6;
    next.credentials[0]!.ref = 'env:MEM_KEYS_2';
    next.resources[0]!.ports = [{ protocol: 'tcp', from: 5432, to: 5433 } as never];
    Object.assign(next.users[0]!, { name: 'Alice A.', admin: false });
    Object.assign(next.users[1]!, { slack: 'U200B', resources: ['ssh', 'db'] });
    Object.assign(next.roles[0]!, { maxSessionDurationHours: 2, members: ['alice@two.io'] });
    next.roles[0]!.approval = { approvers: ['alice@two.io'], channels: { slack: 'C2000' }, timeoutMinutes: 45 } as never;
    next.slack.teamIds = ['T2001'];

    const diff = await applyOrgs(t.deps, [next]);
    expect(linesOf(diff)).toEqual([
      '~ organization two: settings.maxSessionHours 8 → 6',
      '+ slack workspace T2001',
      '~ credential mem: ref env:MEM_KEYS → env:MEM_KEYS_2',
      '~ resource db: ports tcp/5432 → tcp/5432-5433',
      '~ user alice@two.io: name Alice → Alice A.; admin true → false',
      '~ user bob@two.io: slack (none) → U200B; resources +db +ssh',
      '~ role dba: maxSessionDurationHours 4 → 2; members -bob@two.io; approval.timeoutMinutes 30 → 45',
      '- slack workspace T2000',
    ]);
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual([]);
  });

  it('keeps an approval channel chosen in chat when the file names none for that platform; a channel the file names wins', async () => {
    await applyOrgs(t.deps, [acme('chan', 21)]);
    const org = (await orgBySlug(t.deps.db, 'chan'))!;
    const dba = () => t.deps.db.select().from(roles).where(and(eq(roles.orgId, org.id), eq(roles.name, 'dba'))).then((r) => r[0]!);
    const alice = await userByEmail(t.deps.db, 'alice@chan.io');
    await setApprovalChannel(t.deps, { actor: actorOf(alice), roleName: 'dba', platform: 'teams', channel: '19:approvers@thread.tacv2' });
    // The file sets the Slack channel: chat may not move it (the next apply would move it back).
    expect((await dba()).pinnedApprovalChannels).toEqual({ slack: 'C21000' });
    await expect(setApprovalChannel(t.deps, { actor: actorOf(alice), roleName: 'dba', platform: 'slack', channel: 'C0ELSEWHERE' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      userMessage: expect.stringContaining('organization file sets where role dba is approved on Slack'),
    });

    // Re-applying the same file, and a file that changes something else on the role, keep it.
    expect(linesOf(await applyOrgs(t.deps, [acme('chan', 21)]))).toEqual([]);
    const next = acme('chan', 21);
    next.roles[0]!.maxSessionDurationHours = 3;
    await applyOrgs(t.deps, [next]);
    expect((await dba()).approvalChannels).toEqual({ slack: 'C21000', teams: '19:approvers@thread.tacv2' });

    next.roles[0]!.approval = { approvers: ['alice@chan.io'], channels: { slack: 'C21000', teams: '19:fromfile@thread.tacv2' } } as never;
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual(['~ role dba: approval.channels.teams 19:approvers@thread.tacv2 → 19:fromfile@thread.tacv2']);
    expect((await dba()).approvalChannels).toEqual({ slack: 'C21000', teams: '19:fromfile@thread.tacv2' });

    // null clears a platform's channel.
    next.roles[0]!.approval = { approvers: ['alice@chan.io'], channels: { slack: 'C21000', teams: null } } as never;
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual(['~ role dba: approval.channels.teams 19:fromfile@thread.tacv2 → (none)']);
    expect((await dba()).approvalChannels).toEqual({ slack: 'C21000' });
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual([]);
  });

  it('dry run shows the diff and changes nothing', async () => {
    await applyOrgs(t.deps, [acme('three', 3)]);
    const next = acme('three', 3);
    next.roles.pop();
    next.users[0]!.admin = false;
    next.users.pop();
    next.roles[0]!.members = ['alice@three.io'];
    const before = await snapshotDb(t.deps.db);
    const audits = (await configAudits(t.deps.db, null)).length;

    const dry = await applyOrgs(t.deps, [next, acme('three-b', 4)], { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.orgs[0]!.lines).toEqual([
      '~ user alice@three.io: admin true → false',
      '~ role dba: members -bob@three.io',
      '- user bob@three.io (not in the file: disabled)',
      '- role devs',
    ]);
    expect(dry.orgs[1]!.lines[0]).toBe('+ organization three-b (Acme, plan team)');
    expect(formatOrgConfigDiff(dry)).toMatch(/dry run: nothing was changed$/);
    expect(await snapshotDb(t.deps.db)).toEqual(before);
    expect(await configAudits(t.deps.db, null)).toHaveLength(audits);

    // The real apply does what the dry run said.
    const real = await applyOrgs(t.deps, [next]);
    expect(real.orgs[0]!.lines).toEqual(dry.orgs[0]!.lines);
  });

  it('leaves a running session alone when its role is removed', async () => {
    const spec = acme('four', 4);
    spec.roles = [{ name: 'devs', members: ['bob@four.io'], resources: ['db', 'ssh'] } as never];
    await applyOrgs(t.deps, [spec]);
    const id = await startFor('bob@four.io', '203.0.113.4');
    expect(await sessionState(t.deps.db, id)).toEqual({ state: 'ACTIVE', endedReason: null, rules: ['APPLIED', 'APPLIED'] });

    const noRole = acme('four', 4);
    noRole.roles = [];
    expect(linesOf(await applyOrgs(t.deps, [noRole]))).toEqual(['- role devs']);
    await t.runJobs();
    expect(await sessionState(t.deps.db, id)).toEqual({ state: 'ACTIVE', endedReason: null, rules: ['APPLIED', 'APPLIED'] });
    const org = (await orgBySlug(t.deps.db, 'four'))!;
    const [db] = await t.deps.db.select().from(resources).where(and(eq(resources.orgId, org.id), eq(resources.name, 'db')));
    expect(t.firewall.cidrs(db!.id)).toEqual(['203.0.113.4/32']);
  });

  it('ends the live sessions of a disabled user (reason ADMIN) and of a user gone from the file', async () => {
    const spec = acme('five', 5);
    spec.roles = [{ name: 'devs', members: ['alice@five.io', 'bob@five.io'], resources: ['db', 'ssh'] } as never];
    await applyOrgs(t.deps, [spec]);
    const bobSession = await startFor('bob@five.io', '203.0.113.5');
    const aliceSession = await startFor('alice@five.io', '203.0.113.55');
    expect((await sessionState(t.deps.db, bobSession)).state).toBe('ACTIVE');

    const next = acme('five', 5);
    next.roles = [{ name: 'devs', members: ['alice@five.io', 'bob@five.io'], resources: ['db', 'ssh'] } as never];
    Object.assign(next.users[1]!, { disabled: true });
    const diff = await applyOrgs(t.deps, [next]);
    expect(linesOf(diff)).toEqual(['- user bob@five.io (disabled; 1 live session ended)']);
    expect(await sessionState(t.deps.db, bobSession)).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
    await t.runJobs();
    expect(await sessionState(t.deps.db, bobSession)).toEqual({ state: 'CANCELLED', endedReason: 'ADMIN', rules: ['REMOVED', 'REMOVED'] });
    expect((await userByEmail(t.deps.db, 'bob@five.io')).isActive).toBe(false);
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual([]);

    // Alice leaves the file: disabled too, and her file-given chat id and grants go with her.
    const gone = acme('five', 5);
    gone.users = [gone.users[1]!];
    Object.assign(gone.users[0]!, { disabled: true });
    gone.roles = [{ name: 'devs', members: ['bob@five.io'], resources: ['db', 'ssh'] } as never];
    const diff2 = await applyOrgs(t.deps, [gone]);
    expect(linesOf(diff2)).toEqual(['~ role devs: members -alice@five.io', '- user alice@five.io (not in the file: disabled; 1 live session ended)']);
    expect(await sessionState(t.deps.db, aliceSession)).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
    const alice = await userByEmail(t.deps.db, 'alice@five.io');
    expect(await t.deps.db.select().from(chatIdentities).where(eq(chatIdentities.userId, alice.id))).toEqual([]);
    expect(await t.deps.db.select().from(userResources).where(eq(userResources.userId, alice.id))).toEqual([]);
    expect(linesOf(await applyOrgs(t.deps, [gone]))).toEqual([]);

    // Listed again without `disabled`: enabled again.
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual(['~ user alice@five.io: disabled → enabled; slack (none) → U500A; resources +ssh', '~ role devs: members +alice@five.io']);
  });

  it('refuses to remove a resource that live sessions use, and changes nothing', async () => {
    const spec = acme('six', 6);
    spec.roles = [{ name: 'devs', members: ['bob@six.io'], resources: ['db', 'ssh'] } as never];
    await applyOrgs(t.deps, [spec]);
    await startFor('bob@six.io', '203.0.113.6');
    const next = acme('six', 6);
    next.resources = next.resources.filter((r) => r.name !== 'db');
    next.roles = [{ name: 'devs', members: ['bob@six.io'], resources: ['ssh'] } as never];
    next.users.push({ email: 'carol@six.io' } as never);
    const before = await snapshotDb(t.deps.db);

    await expect(applyOrgs(t.deps, [next])).rejects.toMatchObject({
      code: 'RESOURCE_IN_USE',
      message: expect.stringContaining('resource db cannot be removed: 1 live session rule still uses it'),
    });
    await expect(applyOrgs(t.deps, [next], { dryRun: true })).rejects.toMatchObject({ code: 'RESOURCE_IN_USE' });
    const moved = acme('six', 6);
    moved.roles = [{ name: 'devs', members: ['bob@six.io'], resources: ['db', 'ssh'] } as never];
    moved.resources[0]!.identifier = 'db-2';
    await expect(applyOrgs(t.deps, [moved])).rejects.toMatchObject({ code: 'RESOURCE_IN_USE' });
    expect(await snapshotDb(t.deps.db)).toEqual(before);
    const org = (await orgBySlug(t.deps.db, 'six'))!;
    const denied = (await configAudits(t.deps.db, null)).filter((a) => a.result === 'DENIED');
    expect(denied.at(-1)).toMatchObject({ details: expect.objectContaining({ code: 'RESOURCE_IN_USE', slug: 'six' }) });
    expect((await configAudits(t.deps.db, org.id)).every((a) => a.result === 'SUCCESS')).toBe(true);
  });

  it('deactivates and unassigns a removed resource instead of deleting it, and deletes its unused credential', async () => {
    await applyOrgs(t.deps, [acme('seven', 7)]);
    const next = acme('seven', 7);
    next.resources = next.resources.filter((r) => r.name !== 'db');
    next.credentials = [];
    next.roles = [{ name: 'devs', members: ['bob@seven.io'], resources: ['ssh'] } as never];
    const diff = await applyOrgs(t.deps, [next]);
    expect(linesOf(diff)).toEqual([
      '~ role devs: resources -db',
      '- credential mem (memory)',
      '- resource db (deactivated and unassigned; kept for session history)',
      '- role dba',
    ]);
    const org = (await orgBySlug(t.deps.db, 'seven'))!;
    const [db] = await t.deps.db.select().from(resources).where(and(eq(resources.orgId, org.id), eq(resources.name, 'db')));
    expect(db).toMatchObject({ isActive: false, credentialId: null });
    expect(await t.deps.db.select().from(credentials).where(eq(credentials.orgId, org.id))).toEqual([]);
    expect(linesOf(await applyOrgs(t.deps, [next]))).toEqual([]);
    // Back in the file: the same row comes back.
    expect(linesOf(await applyOrgs(t.deps, [acme('seven', 7)]))).toContain('~ resource db: credential (none) → mem; active false → true');
  });

  it('serialises concurrent applies: both succeed, the second finds nothing to do', async () => {
    const results = await Promise.all([applyOrgs(t.deps, [acme('eight', 8)]), applyOrgs(t.deps, [acme('eight', 8)])]);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    const org = (await orgBySlug(t.deps.db, 'eight'))!;
    expect(await t.deps.db.select().from(users).where(eq(users.orgId, org.id))).toHaveLength(2);
    expect(await configAudits(t.deps.db, org.id)).toHaveLength(1);
  });

  it('records one CONFIG_APPLY audit event per changed organization, with counts and the diff', async () => {
    const diff = await applyOrgs(t.deps, [acme('nine', 9)]);
    const org = (await orgBySlug(t.deps.db, 'nine'))!;
    const events = await configAudits(t.deps.db, org.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorType: 'system',
      actorLabel: 'system:test',
      targetType: 'organization',
      targetId: org.id,
      result: 'SUCCESS',
      details: { slug: 'nine', source: 'test.yaml', created: 10, updated: 0, removed: 0, lines: linesOf(diff) },
    });
    await applyOrgs(t.deps, [acme('nine', 9)]);
    expect(await configAudits(t.deps.db, org.id)).toHaveLength(1);
  });

  it('leaves organizations that are not in the file alone', async () => {
    const other = await seedOrg(t.deps.db);
    const someone = await seedUser(t.deps.db, other.id);
    await applyOrgs(t.deps, [acme('ten', 10)]);
    expect((await userByEmail(t.deps.db, someone.email)).isActive).toBe(true);
    expect(await orgBySlug(t.deps.db, other.slug)).toEqual(other);
  });

  it('refuses chat ids that belong to another organization, and too many resources for the plan', async () => {
    await applyOrgs(t.deps, [acme('eleven', 11)]);
    const thief = { slug: 'thief', name: 'Thief', plan: 'team', slack: { teamIds: ['T11000'] }, users: [{ email: 'x@thief.io', slack: 'U1100A' }] };
    await expect(applyOrgs(t.deps, [thief])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Slack team T11000 already belongs to organization eleven'),
    });
    await expect(applyOrgs(t.deps, [thief])).rejects.toMatchObject({ message: expect.stringContaining('slack user U1100A (given to x@thief.io) already belongs to alice@eleven.io') });
    expect(await orgBySlug(t.deps.db, 'thief')).toBeUndefined();

    const big = { slug: 'small', name: 'Small', plan: 'free', resources: ['a', 'b', 'c', 'd'].map((n) => ({ name: n, kind: 'memory', identifier: n })) };
    await expect(applyOrgs(t.deps, [big])).rejects.toMatchObject({ code: 'RESOURCE_LIMIT', message: expect.stringContaining('the free plan allows 3') });
    big.resources[3] = { ...big.resources[3]!, active: false } as never;
    expect(linesOf(await applyOrgs(t.deps, [big]))).toContain('+ resource d (memory d, inactive)');
  });

  it('refuses a kind the build does not know', async () => {
    const { applyOrgConfig } = await import('../../src/engine/apply-org-config.ts');
    const { systemActor } = await import('../../src/engine/audit.ts');
    const { orgFile } = await import('./apply-helpers.ts');
    const file = orgFile({ slug: 'kinds', name: 'K', plan: 'team', resources: [{ name: 'x', kind: 'script', identifier: 'x' }] });
    await expect(applyOrgConfig(t.deps, file, { dryRun: false, actor: systemActor(null, 'test'), knownKinds: ['memory'] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'organizations[0].resources[0].kind: unknown provider kind "script"; known kinds: memory',
    });
  });
});

describe('organization settings', () => {
  it('tells "unlimited" (null) from "the plan default" (absent)', async () => {
    const base = { slug: 'settings', name: 'S', plan: 'free' };
    await applyOrgs(t.deps, [base]);
    expect(linesOf(await applyOrgs(t.deps, [{ ...base, settings: { maxResources: null } }]))).toEqual([
      '~ organization settings: settings.maxResources (none) → unlimited',
    ]);
    expect((await orgBySlug(t.deps.db, 'settings'))!.settings).toEqual({ maxResources: null });
    expect(linesOf(await applyOrgs(t.deps, [{ ...base, settings: { maxResources: null } }]))).toEqual([]);
    expect(linesOf(await applyOrgs(t.deps, [base]))).toEqual(['~ organization settings: settings.maxResources unlimited → (none)']);
  });
});
