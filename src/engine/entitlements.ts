import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { resources, roleMembers, roleResources, roles, userResources } from '../db/schema/index.ts';

export interface Entitlements {
  /** Active, verified resources reachable through the user's roles or directly, each once. */
  resourceIds: string[];
  /** Every role cap the user is subject to (null = the role sets none). */
  roleCapsHours: (number | null)[];
  /** Roles that contribute resources and require approval. */
  approvalRoles: { id: string; name: string; timeoutMinutes: number }[];
  /** A role that contributes resources says `claim: { confirmInChat: true }`. */
  confirmInChat: boolean;
  /** Names of the roles that contribute resources and say `requireReason: true`. */
  reasonRoles: string[];
}

/**
 * A resource is opened by new sessions only while it is active *and* its last verification
 * passed: a broken credential must not produce sessions that can only fail.
 */
const usable = and(eq(resources.isActive, true), isNotNull(resources.verifiedAt), isNull(resources.verifyError));

/**
 * What a start would open for this user, and under which limits. `anyState` also counts
 * resources that are inactive or failed their last verification (what the user is *granted*,
 * as an extension asks, rather than what a new session could open right now).
 */
export async function loadEntitlements(tx: DbOrTx, userId: string, opts: { anyState?: boolean } = {}): Promise<Entitlements> {
  const filter = opts.anyState ? undefined : usable;
  const memberRoles = await tx
    .select({
      id: roles.id,
      name: roles.name,
      cap: roles.maxSessionDurationHours,
      requiresApproval: roles.requiresApproval,
      timeout: roles.approvalTimeoutMinutes,
      confirmInChat: roles.confirmClaimInChat,
      requireReason: roles.requireReason,
    })
    .from(roleMembers)
    .innerJoin(roles, eq(roles.id, roleMembers.roleId))
    .where(eq(roleMembers.userId, userId));

  const roleIds = memberRoles.map((r) => r.id);
  const viaRoles = roleIds.length
    ? await tx
        .select({ roleId: roleResources.roleId, resourceId: roleResources.resourceId })
        .from(roleResources)
        .innerJoin(resources, eq(resources.id, roleResources.resourceId))
        .where(and(inArray(roleResources.roleId, roleIds), filter))
    : [];
  const direct = await tx
    .select({ resourceId: userResources.resourceId })
    .from(userResources)
    .innerJoin(resources, eq(resources.id, userResources.resourceId))
    .where(and(eq(userResources.userId, userId), filter));

  const contributing = new Set(viaRoles.map((r) => r.roleId));
  return {
    resourceIds: [...new Set([...viaRoles.map((r) => r.resourceId), ...direct.map((r) => r.resourceId)])].sort(),
    roleCapsHours: memberRoles.map((r) => r.cap),
    approvalRoles: memberRoles
      .filter((r) => r.requiresApproval && contributing.has(r.id))
      .map((r) => ({ id: r.id, name: r.name, timeoutMinutes: r.timeout })),
    confirmInChat: memberRoles.some((r) => r.confirmInChat && contributing.has(r.id)),
    reasonRoles: memberRoles.filter((r) => r.requireReason && contributing.has(r.id)).map((r) => r.name),
  };
}

/**
 * Takes a share lock on the resources a start is about to open and returns those still usable.
 * An org-file apply locks the org's resources for update before it counts their live rules, so
 * the two are ordered: a start waits for a deactivation to commit and then leaves that resource
 * out (the WHERE is re-checked on the new row), and an apply waits for a start's rules to commit
 * and then refuses to deactivate what they use.
 */
export async function lockUsableResources(tx: DbOrTx, resourceIds: string[]): Promise<string[]> {
  if (resourceIds.length === 0) return [];
  const rows = await tx
    .select({ id: resources.id })
    .from(resources)
    .where(and(inArray(resources.id, resourceIds), usable))
    .orderBy(resources.id)
    .for('share');
  return rows.map((r) => r.id);
}
