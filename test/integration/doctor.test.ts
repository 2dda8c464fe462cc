import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { chatWorkspaces, resources, roles } from '../../src/db/schema/index.ts';
import { describeApprovalRouting } from '../../src/engine/approval-routing.ts';
import { doctorCommand } from '../../src/main/commands/doctor-command.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import { seedOrg, seedRole, seedUser } from '../helpers/seed.ts';

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

describe('entryguard doctor', () => {
  it('verifies every resource, prints one line each, and fails when one is broken', async () => {
    const org = await seedOrg(t.deps.db);
    const rows = await lab.seedResources(t.deps.db, org.id);
    const lines: string[] = [];
    expect(await doctorCommand(t.deps, (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^org\s+resource\s+kind\s+reachable\s+permitted/);
    for (const r of rows) expect(lines.find((l) => l.includes(r.name))).toMatch(/yes\s+yes/);

    // Someone trims the IAM policy: doctor says so, and the resource stops being opened.
    lab.ec2.denyActions(['AuthorizeSecurityGroupIngress']);
    lines.length = 0;
    expect(await doctorCommand(t.deps, (l) => lines.push(l))).toBe(1);
    expect(lines.find((l) => l.includes(rows[0]!.name))).toMatch(/NO/);
    const [after] = await t.deps.db.select().from(resources).where(eq(resources.id, rows[0]!.id));
    expect(after!.verifyError).toBeTruthy();
  });

  it('shows where each role\'s approval requests go, and warns about a connected chat platform with no channel', async () => {
    const org = await seedOrg(t.deps.db);
    await t.deps.db.insert(chatWorkspaces).values([
      { orgId: org.id, platform: 'slack', externalId: `T${org.id.slice(0, 6).toUpperCase()}` },
      { orgId: org.id, platform: 'teams', externalId: org.id },
    ]);
    const approver = await seedUser(t.deps.db, org.id);
    const routed = await seedRole(t.deps.db, org.id, { name: 'dba', approvers: [approver.id] });
    await t.deps.db.update(roles).set({ approvalChannels: { slack: 'C0DBA', teams: '19:dba@thread.tacv2' } }).where(eq(roles.id, routed.id));
    const half = await seedRole(t.deps.db, org.id, { name: 'payments', approvers: [approver.id] });
    await t.deps.db.update(roles).set({ approvalChannels: { slack: 'C0PAY' } }).where(eq(roles.id, half.id));
    await seedRole(t.deps.db, org.id, { name: 'devs' }); // no approval: not listed

    const mine = (await describeApprovalRouting(t.deps.db)).filter((r) => r.org === org.slug);
    expect(mine).toEqual([
      { org: org.slug, role: 'dba', approvers: 1, channels: { slack: 'C0DBA', teams: '19:dba@thread.tacv2' }, unrouted: [] },
      { org: org.slug, role: 'payments', approvers: 1, channels: { slack: 'C0PAY', teams: undefined }, unrouted: ['teams'] },
    ]);

    const lines: string[] = [];
    await doctorCommand(t.deps, (l) => lines.push(l));
    expect(lines).toContainEqual(expect.stringMatching(/^org\s+role \(needs approval\)\s+approvers\s+slack channel\s+teams channel$/));
    expect(lines.find((l) => l.includes(' payments '))).toMatch(/C0PAY\s+NONE$/);
    expect(lines).toContain(
      `warning: ${org.slug}/payments: no approval channel on teams, so its approvers are not asked there (only the REST API can decide). ` +
        'Set approval.channels in the org file, or say "approvals here payments" in the channel.',
    );
    expect(lines.filter((l) => l.startsWith('warning:') && l.includes(`${org.slug}/dba`))).toEqual([]);
  });
});
