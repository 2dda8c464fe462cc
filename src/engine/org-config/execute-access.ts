import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { chatIdentities, roleApprovers, roleMembers, roleResources, roles, userResources, users } from '../../db/schema/index.ts';
import type { Actor } from '../audit.ts';
import type { EngineDeps } from '../deps.ts';
import { disableUser } from '../disable-user.ts';
import { missing, type NameIds } from './ids.ts';
import { approvalChannelPatch, roleRowOf } from './plan-roles.ts';
import { finishDisableLine } from './plan-users.ts';
import type { OrgPlan } from './plan.ts';

interface AccessContext {
  orgId: string;
  resourceIds: NameIds;
  /** The applying actor, scoped to this organization (its audit events belong there). */
  actor: Actor;
  now: Date;
}

/** Users, their chat ids and direct grants, roles and their lists; then the disables, which end sessions. */
export async function executeAccess(tx: Tx, deps: EngineDeps, plan: OrgPlan, ctx: AccessContext): Promise<void> {
  const { orgId, now } = ctx;
  for (const u of plan.users.write) {
    const row = plan.current.users.get(u.email);
    if (!row) {
      await tx.insert(users).values({ orgId, email: u.email, displayName: u.name ?? null, isAdmin: u.admin, isActive: !u.disabled, createdAt: now, updatedAt: now });
    } else {
      // Disabling goes through disableUser below, so that live sessions end with it.
      await tx
        .update(users)
        .set({ displayName: u.name ?? row.displayName, isAdmin: u.admin, isActive: u.disabled ? row.isActive : true, updatedAt: now })
        .where(eq(users.id, row.id));
    }
  }
  const userRows = await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.orgId, orgId));
  const userIds: NameIds = new Map(userRows.map((u) => [u.email.toLowerCase(), u.id]));
  const userId = (email: string) => userIds.get(email) ?? missing('user', email);
  const resourceId = (name: string) => ctx.resourceIds.get(name) ?? missing('resource', name);

  if (plan.identities.removeIds.length) await tx.delete(chatIdentities).where(inArray(chatIdentities.id, plan.identities.removeIds));
  for (const i of plan.identities.add) {
    // An id learned from email (or mapped to a colleague before) becomes the file's mapping.
    await tx
      .insert(chatIdentities)
      .values({ userId: userId(i.email), platform: i.platform, externalId: i.externalId, source: 'config', createdAt: now })
      .onConflictDoUpdate({ target: [chatIdentities.platform, chatIdentities.externalId], set: { userId: userId(i.email), source: 'config' } });
  }

  for (const g of plan.users.grants) {
    const id = userId(g.email);
    await tx.delete(userResources).where(eq(userResources.userId, id));
    if (g.resources.length) await tx.insert(userResources).values(g.resources.map((name) => ({ userId: id, resourceId: resourceId(name) })));
  }

  for (const r of plan.roles.write) {
    const values = roleRowOf(r);
    const patch = approvalChannelPatch(r);
    const [row] = await tx
      .insert(roles)
      .values({ orgId, name: r.name, ...values, approvalChannels: withoutNulls(patch), createdAt: now })
      .onConflictDoUpdate({
        target: [roles.orgId, roles.name],
        // The file's channels over the stored ones; null clears one, a platform not named keeps its channel.
        set: { ...values, approvalChannels: sql`jsonb_strip_nulls(${roles.approvalChannels} || ${JSON.stringify(patch)}::jsonb)` },
      })
      .returning({ id: roles.id });
    const roleId = row!.id;
    await tx.delete(roleMembers).where(eq(roleMembers.roleId, roleId));
    await tx.delete(roleApprovers).where(eq(roleApprovers.roleId, roleId));
    await tx.delete(roleResources).where(eq(roleResources.roleId, roleId));
    if (r.members.length) await tx.insert(roleMembers).values(r.members.map((e) => ({ roleId, userId: userId(e) })));
    const approvers = r.approval?.approvers ?? [];
    if (approvers.length) await tx.insert(roleApprovers).values(approvers.map((e) => ({ roleId, userId: userId(e) })));
    if (r.resources.length) await tx.insert(roleResources).values(r.resources.map((n) => ({ roleId, resourceId: resourceId(n) })));
  }
  const removedRoles = plan.roles.remove.map((r) => r.id);
  if (removedRoles.length) await tx.delete(roles).where(and(eq(roles.orgId, orgId), inArray(roles.id, removedRoles)));

  for (const d of plan.users.disable) {
    const ended = await disableUser(tx, deps, d.id, ctx.actor);
    finishDisableLine(d, ended);
  }
}

const withoutNulls = <T extends Record<string, string | null | undefined>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string')) as { [K in keyof T]?: string };
