import { asc, count, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { chatWorkspaces, organizations, roleApprovers, roles } from '../db/schema/index.ts';

export type ChatPlatform = 'slack' | 'teams';

export interface ApprovalRoute {
  org: string;
  role: string;
  approvers: number;
  /** The approval channel per chat platform the organization is connected to (undefined: none chosen). */
  channels: Partial<Record<ChatPlatform, string | undefined>>;
  /** Connected platforms where requests for this role reach nobody in chat (only the REST API can decide). */
  unrouted: ChatPlatform[];
}

/**
 * Where approval requests of each role that needs approval go: for every chat platform its
 * organization is connected to, the channel, or nothing (then approvers learn of requests only
 * through the REST API, and unanswered requests time out). `entryguard doctor` prints it.
 */
export async function describeApprovalRouting(db: DbOrTx): Promise<ApprovalRoute[]> {
  const rows = await db
    .select({ orgId: organizations.id, org: organizations.slug, role: roles.name, channels: roles.approvalChannels, approvers: count(roleApprovers.userId) })
    .from(roles)
    .innerJoin(organizations, eq(organizations.id, roles.orgId))
    .leftJoin(roleApprovers, eq(roleApprovers.roleId, roles.id))
    .where(eq(roles.requiresApproval, true))
    .groupBy(organizations.id, organizations.slug, roles.id, roles.name, roles.approvalChannels)
    .orderBy(asc(organizations.slug), asc(roles.name));
  const bindings = await db.selectDistinct({ orgId: chatWorkspaces.orgId, platform: chatWorkspaces.platform }).from(chatWorkspaces);
  return rows.map((r) => {
    const connected = bindings.filter((b) => b.orgId === r.orgId).map((b) => b.platform).sort();
    const channels = Object.fromEntries(connected.map((p) => [p, r.channels[p]]));
    return { org: r.org, role: r.role, approvers: r.approvers, channels, unrouted: connected.filter((p) => !r.channels[p]) };
  });
}
