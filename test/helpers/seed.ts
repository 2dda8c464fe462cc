import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.ts';
import {
  organizations,
  resources,
  roleApprovers,
  roleMembers,
  roleResources,
  roles,
  userResources,
  users,
  type OrgSettings,
} from '../../src/db/schema/index.ts';
import type { Actor } from '../../src/engine/audit.ts';
import type { PlanName } from '../../src/engine/plans.ts';
import type { PortRange } from '../../src/engine/ports.ts';

/** Direct inserts for test fixtures; the org-file path is tested on its own. */
export async function seedOrg(db: Db, opts: { plan?: PlanName; settings?: OrgSettings } = {}) {
  const slug = `org-${randomBytes(3).toString('hex')}`;
  const [org] = await db.insert(organizations).values({ slug, name: slug, plan: opts.plan ?? 'team', settings: opts.settings ?? {} }).returning();
  return org!;
}

export async function seedUser(db: Db, orgId: string, opts: { email?: string; admin?: boolean } = {}) {
  const email = opts.email ?? `u-${randomBytes(3).toString('hex')}@example.com`;
  const [user] = await db.insert(users).values({ orgId, email, displayName: email.split('@')[0], isAdmin: opts.admin ?? false }).returning();
  return user!;
}

export async function seedResource(
  db: Db,
  orgId: string,
  opts: { name?: string; kind?: string; config?: Record<string, unknown>; active?: boolean; verified?: boolean; ports?: PortRange[] } = {},
) {
  const name = opts.name ?? `res-${randomBytes(3).toString('hex')}`;
  const [resource] = await db
    .insert(resources)
    .values({ orgId, name, kind: opts.kind ?? 'memory', identifier: name, ports: opts.ports ?? [{ protocol: 'tcp', from: 22, to: 22 }], config: opts.config ?? {}, isActive: opts.active ?? true, verifiedAt: opts.verified === false ? null : new Date() })
    .returning();
  return resource!;
}

export async function seedRole(
  db: Db,
  orgId: string,
  opts: { name?: string; capHours?: number; members?: string[]; resources?: string[]; approvers?: string[]; approvalTimeoutMinutes?: number } = {},
) {
  const [role] = await db
    .insert(roles)
    .values({
      orgId,
      name: opts.name ?? `role-${randomBytes(3).toString('hex')}`,
      maxSessionDurationHours: opts.capHours ?? null,
      requiresApproval: (opts.approvers?.length ?? 0) > 0,
      approvalTimeoutMinutes: opts.approvalTimeoutMinutes ?? 30,
    })
    .returning();
  for (const userId of opts.members ?? []) await db.insert(roleMembers).values({ roleId: role!.id, userId });
  for (const resourceId of opts.resources ?? []) await db.insert(roleResources).values({ roleId: role!.id, resourceId });
  for (const userId of opts.approvers ?? []) await db.insert(roleApprovers).values({ roleId: role!.id, userId });
  return role!;
}

export async function grantDirect(db: Db, userId: string, resourceId: string) {
  await db.insert(userResources).values({ userId, resourceId });
}

export function actorOf(user: { id: string; orgId: string; email: string }, ip = '198.51.100.1'): Actor & { userId: string; orgId: string } {
  return { type: 'user', orgId: user.orgId, userId: user.id, label: user.email, ip };
}
