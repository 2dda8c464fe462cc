import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { auditEvents, resources as resourcesTable } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { reconcileAll } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { startCloudLab, type CloudLab, type ResourceRow } from '../helpers/cloud-lab.ts';
import { actorOf, seedOrg, seedRole, seedUser } from '../helpers/seed.ts';

/**
 * The engine with the production provider registry against the three cloud emulators: a user
 * whose roles span AWS, Azure and GCP, through quota, throttling, expiry and drift.
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

async function userOnAllClouds(opts: { awsConfig?: Record<string, unknown> } = {}) {
  const org = await seedOrg(t.deps.db);
  const user = await seedUser(t.deps.db, org.id);
  const resources = await lab.seedResources(t.deps.db, org.id, { config: { 'aws-security-group': opts.awsConfig ?? {} } });
  await seedRole(t.deps.db, org.id, { name: 'aws', members: [user.id], resources: [resources[0]!.id] });
  await seedRole(t.deps.db, org.id, { name: 'azure', members: [user.id], resources: [resources[1]!.id] });
  await seedRole(t.deps.db, org.id, { name: 'gcp', members: [user.id], resources: [resources[2]!.id] });
  const actor = actorOf(user);
  const start = (ipv4: string, ipv6?: string) =>
    startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4, ipv6, origin: 'api', actor });
  return { org, user, resources, start, view: (id: string) => getSession(t.deps, actor, id) };
}

const everywhere = (resources: ResourceRow[]) => resources.map((r) => lab.cloudCidrs(r));

describe('sessions across AWS, Azure and GCP (emulators, real SDKs)', () => {
  it('opens every cloud, dual-stack, and expiry removes everything', async () => {
    const { resources, start, view } = await userOnAllClouds();
    const id = await start('203.0.113.41', '2001:db8::41');
    await t.runJobs();
    const v = await view(id);
    expect(v.rules.map((r) => `${r.kind}:${r.state}:${r.error ?? ''}`)).toEqual(expect.arrayContaining(['aws-security-group:APPLIED:', 'azure-nsg:APPLIED:', 'gcp-firewall:APPLIED:']));
    expect(v.state).toBe('ACTIVE');
    for (const cidrs of everywhere(resources)) expect(cidrs).toEqual(['2001:db8::41/128', '203.0.113.41/32']);

    t.clock.advance(61 * 60_000);
    await t.runJobs();
    expect((await view(id)).state).toBe('EXPIRED');
    for (const cidrs of everywhere(resources)) expect(cidrs).toEqual([]);
  });

  it('a security group over its rule quota makes the session PARTIAL with that reason', async () => {
    const { resources, start, view } = await userOnAllClouds({ awsConfig: { maxRulesPerGroup: 2 } });
    for (const cidr of ['192.0.2.1/32', '192.0.2.2/32']) {
      lab.ec2.addForeignRule(resources[0]!.identifier, { protocol: 'tcp', from: 443, to: 443, cidr });
    }
    const id = await start('203.0.113.42');
    await t.runJobs();
    const v = await view(id);
    expect(v.state).toBe('PARTIAL');
    const aws = v.rules.find((r) => r.kind === 'aws-security-group')!;
    expect(aws.state).toBe('FAILED');
    expect(aws.error).toMatch(/quota|rules|limit/i);
    expect(v.rules.filter((r) => r.state === 'APPLIED').map((r) => r.kind).sort()).toEqual(['azure-nsg', 'gcp-firewall']);
  });

  it('recovers from a throttling storm on every cloud', async () => {
    const { resources, start, view } = await userOnAllClouds();
    lab.ec2.throttle(6);
    lab.azure.throttle(6);
    lab.gcp.throttle(6);
    const id = await start('203.0.113.43');
    await t.runJobs();
    for (let round = 0; round < 8 && (await view(id)).state !== 'ACTIVE'; round++) {
      t.clock.advance(2 * 60_000);
      await t.runJobs();
    }
    expect((await view(id)).state).toBe('ACTIVE');
    for (const cidrs of everywhere(resources)) expect(cidrs).toEqual(['203.0.113.43/32']);
    lab.clearFaults();
  });

  it('reconcile re-applies a rule deleted out of band and removes a marked rule nobody holds', async () => {
    const { org, resources, start, view } = await userOnAllClouds();
    const id = await start('203.0.113.44');
    await t.runJobs();
    expect((await view(id)).state).toBe('ACTIVE');
    const [sg] = resources;
    // Someone deletes our rule in the console, and a rule with our marker but no holder appears.
    for (const rule of lab.ec2.inboundRules(sg!.identifier, { key: 'entryguard:resource', value: sg!.id })) lab.ec2.removeRule(rule.id);
    lab.ec2.addForeignRule(sg!.identifier, {
      protocol: 'tcp',
      from: 22,
      to: 22,
      cidr: '198.51.100.99/32',
      description: `entryguard:${sg!.id}`,
      tags: [{ key: 'entryguard:resource', value: sg!.id }],
    });
    expect(lab.cloudCidrs(sg!)).toEqual(['198.51.100.99/32']);

    await reconcileAll(t.deps);
    await t.runJobs();
    expect(lab.cloudCidrs(sg!)).toEqual(['203.0.113.44/32']);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.targetId, sg!.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(['RECONCILE_MISSING_RULE', 'RECONCILE_ORPHANED_RULE']);
  });

  it('reconcile repairs drift rule by rule on every cloud: one port of a CIDR, one managed rule, one protocol', async () => {
    const { org, resources, start, view } = await userOnAllClouds();
    const [sg, nsg, gfw] = resources as [ResourceRow, ResourceRow, ResourceRow];
    const ports = [
      { protocol: 'tcp' as const, from: 22, to: 22 },
      { protocol: 'tcp' as const, from: 443, to: 443 },
      { protocol: 'udp' as const, from: 51820, to: 51820 },
    ];
    await t.deps.db.update(resourcesTable).set({ ports }).where(inArray(resourcesTable.id, resources.map((r) => r.id)));
    const id = await start('203.0.113.45', '2001:db8::45');
    await t.runJobs();
    expect((await view(id)).state).toBe('ACTIVE');

    // In the consoles: the tcp/443 rule of the v4 address goes (its tcp/22 and udp rules stay),
    // the Azure managed tcp rule for IPv6 is deleted, and udp is taken out of the GCP v4 rule.
    const ours = lab.ec2.inboundRules(sg.identifier, { key: 'entryguard:resource', value: sg.id });
    const https = ours.find((r) => r.cidrIpv4 === '203.0.113.45/32' && r.fromPort === 443)!;
    lab.ec2.removeRule(https.id);
    const tcpV6 = lab.azure.rules(nsg.identifier).find((r) => r.name.toLowerCase() === `entryguard-${nsg.id}-tcp-v6`.toLowerCase())!;
    lab.azure.removeRule(nsg.identifier, tcpV6.name);
    const gcpV4 = lab.gcp.firewall('eg-lab', `${gfw.identifier}-v4`)!;
    lab.gcp.editFirewall('eg-lab', gcpV4.name, { allowed: (gcpV4.allowed ?? []).filter((a) => a.IPProtocol !== 'udp') });

    await reconcileAll(t.deps);
    await t.runJobs();
    expect(lab.ec2.inboundRules(sg.identifier, { key: 'entryguard:resource', value: sg.id }).filter((r) => r.cidrIpv4 === '203.0.113.45/32').map((r) => r.fromPort).sort()).toEqual([22, 443, 51820]);
    expect(lab.azure.rules(nsg.identifier).some((r) => r.name.toLowerCase() === tcpV6.name.toLowerCase())).toBe(true);
    expect(lab.gcp.firewall('eg-lab', gcpV4.name)!.allowed!.map((a) => a.IPProtocol).sort()).toEqual(['tcp', 'udp']);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), inArray(auditEvents.action, ['RECONCILE_ALTERED_RULE', 'RECONCILE_MISSING_RULE'])));
    expect(audit.map((a) => a.targetId).sort()).toEqual([sg.id, nsg.id, gfw.id].sort());
    expect(JSON.stringify(audit.find((a) => a.targetId === sg.id)!.details)).toMatch(/tcp\/443/);
    expect((await view(id)).state).toBe('ACTIVE');

    // Repaired means repaired: a second reconcile finds nothing.
    await reconcileAll(t.deps);
    await t.runJobs();
    const again = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), inArray(auditEvents.action, ['RECONCILE_ALTERED_RULE', 'RECONCILE_MISSING_RULE'])));
    expect(again).toHaveLength(audit.length);
  });
});
