import { and, count, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import {
  chatIdentities,
  chatWorkspaces,
  credentials,
  organizations,
  resources,
  roleApprovers,
  roleMembers,
  roleResources,
  roles,
  sessionRules,
  sessions,
  userResources,
  users,
} from '../../db/schema/index.ts';
import { LIVE_STATES } from '../state-machine.ts';

export type OrgRow = typeof organizations.$inferSelect;
export type CredentialRow = typeof credentials.$inferSelect;
export type ResourceRow = typeof resources.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type Platform = 'slack' | 'teams';

/** Rules that still hold (or are releasing) a CIDR in the cloud: their resource must stay as it is. */
export const LIVE_RULE_STATES = ['PENDING', 'APPLIED', 'REMOVING'] as const;

export interface CurrentResource extends ResourceRow {
  credentialName: string | null;
  liveRules: number;
  /** Role and direct grants of this resource. */
  assignments: number;
}

export interface ConfigIdentity {
  id: string;
  platform: Platform;
  externalId: string;
  email: string;
}

export interface CurrentUser extends UserRow {
  /** The chat ids mapped by the org file (source 'config'); ids learned by email are not ours to manage. */
  slack: string | undefined;
  teams: string | undefined;
  /** Names of directly granted resources, sorted. */
  resources: string[];
  liveSessions: number;
}

export interface CurrentRole extends RoleRow {
  members: string[];
  approvers: string[];
  resources: string[];
}

/** What the database holds for one organization, keyed the way the file names things. */
export interface CurrentOrg {
  org: OrgRow | undefined;
  workspaces: { id: string; platform: Platform; externalId: string }[];
  credentials: Map<string, CredentialRow>;
  resources: Map<string, CurrentResource>;
  /** By lower-cased email. */
  users: Map<string, CurrentUser>;
  identities: ConfigIdentity[];
  roles: Map<string, CurrentRole>;
}

const emptyOrg = (): CurrentOrg => ({
  org: undefined,
  workspaces: [],
  credentials: new Map(),
  resources: new Map(),
  users: new Map(),
  identities: [],
  roles: new Map(),
});

export async function loadCurrentOrg(tx: Tx, slug: string): Promise<CurrentOrg> {
  const [org] = await tx.select().from(organizations).where(eq(organizations.slug, slug));
  if (!org) return emptyOrg();
  const orgId = org.id;
  const workspaces = await tx
    .select({ id: chatWorkspaces.id, platform: chatWorkspaces.platform, externalId: chatWorkspaces.externalId })
    .from(chatWorkspaces)
    .where(eq(chatWorkspaces.orgId, orgId));
  const creds = await tx.select().from(credentials).where(eq(credentials.orgId, orgId));
  return {
    org,
    workspaces,
    credentials: new Map(creds.map((c) => [c.name, c])),
    resources: await loadResources(tx, orgId, creds),
    ...(await loadUsers(tx, orgId)),
    roles: await loadRoles(tx, orgId),
  };
}

async function loadResources(tx: Tx, orgId: string, creds: CredentialRow[]): Promise<Map<string, CurrentResource>> {
  // Locked before counting live rules: a start holds a share lock on what it opens until its rules
  // are committed (lockUsableResources), so the count below cannot miss a session being started.
  const rows = await tx.select().from(resources).where(eq(resources.orgId, orgId)).orderBy(resources.id).for('update');
  const ids = rows.map((r) => r.id);
  const live = ids.length
    ? await tx
        .select({ id: sessionRules.resourceId, n: count() })
        .from(sessionRules)
        .where(and(inArray(sessionRules.resourceId, ids), inArray(sessionRules.state, [...LIVE_RULE_STATES])))
        .groupBy(sessionRules.resourceId)
    : [];
  const viaRoles = ids.length
    ? await tx.select({ id: roleResources.resourceId }).from(roleResources).where(inArray(roleResources.resourceId, ids))
    : [];
  const direct = ids.length
    ? await tx.select({ id: userResources.resourceId }).from(userResources).where(inArray(userResources.resourceId, ids))
    : [];
  const liveBy = new Map(live.map((l) => [l.id, l.n]));
  const credName = new Map(creds.map((c) => [c.id, c.name]));
  return new Map(
    rows.map((r) => [
      r.name,
      {
        ...r,
        credentialName: r.credentialId ? (credName.get(r.credentialId) ?? null) : null,
        liveRules: liveBy.get(r.id) ?? 0,
        assignments: [...viaRoles, ...direct].filter((a) => a.id === r.id).length,
      },
    ]),
  );
}

async function loadUsers(tx: Tx, orgId: string): Promise<{ users: Map<string, CurrentUser>; identities: ConfigIdentity[] }> {
  const rows = await tx.select().from(users).where(eq(users.orgId, orgId));
  const identities = await tx
    .select({ id: chatIdentities.id, platform: chatIdentities.platform, externalId: chatIdentities.externalId, email: users.email })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(and(eq(users.orgId, orgId), eq(chatIdentities.source, 'config')))
    .orderBy(chatIdentities.externalId);
  const grants = await tx
    .select({ userId: userResources.userId, name: resources.name })
    .from(userResources)
    .innerJoin(resources, eq(resources.id, userResources.resourceId))
    .where(eq(resources.orgId, orgId));
  const live = await tx
    .select({ userId: sessions.userId, n: count() })
    .from(sessions)
    .where(and(eq(sessions.orgId, orgId), inArray(sessions.state, [...LIVE_STATES])))
    .groupBy(sessions.userId);
  const liveBy = new Map(live.map((l) => [l.userId, l.n]));
  const ids = identities.map((i) => ({ ...i, email: i.email.toLowerCase() }));
  const byUser = new Map<string, CurrentUser>();
  for (const u of rows) {
    const email = u.email.toLowerCase();
    byUser.set(email, {
      ...u,
      slack: ids.find((i) => i.email === email && i.platform === 'slack')?.externalId,
      teams: ids.find((i) => i.email === email && i.platform === 'teams')?.externalId,
      resources: grants.filter((g) => g.userId === u.id).map((g) => g.name).sort(),
      liveSessions: liveBy.get(u.id) ?? 0,
    });
  }
  return { users: byUser, identities: ids };
}

async function loadRoles(tx: Tx, orgId: string): Promise<Map<string, CurrentRole>> {
  const rows = await tx.select().from(roles).where(eq(roles.orgId, orgId));
  const ids = rows.map((r) => r.id);
  if (!ids.length) return new Map();
  const members = await tx
    .select({ roleId: roleMembers.roleId, email: users.email })
    .from(roleMembers)
    .innerJoin(users, eq(users.id, roleMembers.userId))
    .where(inArray(roleMembers.roleId, ids));
  const approvers = await tx
    .select({ roleId: roleApprovers.roleId, email: users.email })
    .from(roleApprovers)
    .innerJoin(users, eq(users.id, roleApprovers.userId))
    .where(inArray(roleApprovers.roleId, ids));
  const res = await tx
    .select({ roleId: roleResources.roleId, name: resources.name })
    .from(roleResources)
    .innerJoin(resources, eq(resources.id, roleResources.resourceId))
    .where(inArray(roleResources.roleId, ids));
  const of = <T extends { roleId: string }>(list: T[], id: string, pick: (t: T) => string) =>
    list.filter((x) => x.roleId === id).map(pick).sort();
  return new Map(
    rows.map((r) => [
      r.name,
      {
        ...r,
        members: of(members, r.id, (m) => m.email.toLowerCase()),
        approvers: of(approvers, r.id, (a) => a.email.toLowerCase()),
        resources: of(res, r.id, (x) => x.name),
      },
    ]),
  );
}
