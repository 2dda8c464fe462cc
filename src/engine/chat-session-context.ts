import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chatIdentities, chatWorkspaces, organizations, sessions, users, type ApprovalChannels } from '../db/schema/index.ts';
import type { RoleApprovalView } from './approval-summary.ts';
import type { ChatPlatform } from './chat-identity.ts';
import { loadRoleChannels } from './chat-refs.ts';
import { loadSessionViews, type SessionView } from './session-view.ts';

export interface ChatPerson {
  email: string;
  /** Their account id on the platform when known (Slack user id …), for mentions. */
  chatId: string | undefined;
}

/** One role's part of a request, with who decided it and where its approvers are asked. */
export interface RoleApprovalContext extends RoleApprovalView {
  decider: (ChatPerson & { at: Date | null }) | null;
  channels: ApprovalChannels;
}

/** What a chat notifier needs to render a session: its view, who asked, who decided, where the org lives. */
export interface ChatSessionContext {
  view: SessionView;
  requester: ChatPerson;
  /** Who settled the approval as a whole (the one who denied, or the last to approve). */
  decider: (ChatPerson & { at: Date | null }) | null;
  /** The org's workspaces (Slack team ids / Teams tenants) on this platform, oldest first. */
  workspaceIds: string[];
  /** One entry per role whose approval the request needs (empty without an approval), by role name. */
  approvals: RoleApprovalContext[];
  /** Where the request was to be asked, on every platform (all roles together). */
  approvalChannels: { slack: string[]; teams: string[] };
  /** The org's `chat.channelCards`: a card may go to the channel the session was started in (else privately). */
  channelCards: boolean;
}

/**
 * Roles of a pending request whose approvers are asked nowhere in chat (no approval channel on
 * any platform). Their approvers can still decide through the REST API; the requester should know.
 */
export const unroutedRoles = (ctx: ChatSessionContext): string[] =>
  ctx.view.state === 'AWAITING_APPROVAL' ? ctx.approvals.filter((a) => a.status === 'PENDING' && !a.channels.slack && !a.channels.teams).map((a) => a.roleName) : [];

export const isUnroutedRequest = (ctx: ChatSessionContext): boolean => unroutedRoles(ctx).length > 0;

/**
 * Loads a session for a background notifier, which acts for no user and knows only the id.
 * Returns undefined for an unknown session (deleted meanwhile): there is nothing to tell.
 */
export async function loadChatSessionContext(db: Db, sessionId: string, platform: ChatPlatform): Promise<ChatSessionContext | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(sessionId)) return undefined;
  const [row] = await db.select({ orgId: sessions.orgId, settings: organizations.settings }).from(sessions).innerJoin(organizations, eq(organizations.id, sessions.orgId)).where(eq(sessions.id, sessionId));
  if (!row) return undefined;
  const [view] = await loadSessionViews(db, { orgId: row.orgId, ids: [sessionId] });
  if (!view) return undefined;
  const person = async (userId: string): Promise<ChatPerson> => {
    const [u] = await db
      .select({ email: users.email, chatId: chatIdentities.externalId })
      .from(users)
      .leftJoin(chatIdentities, and(eq(chatIdentities.userId, users.id), eq(chatIdentities.platform, platform)))
      .where(eq(users.id, userId))
      .limit(1);
    return { email: u?.email ?? 'unknown', chatId: u?.chatId ?? undefined };
  };
  const decider = async (userId: string | null, at: Date | null) => (userId ? { ...(await person(userId)), at } : null);
  const workspaces = await db
    .select({ id: chatWorkspaces.externalId })
    .from(chatWorkspaces)
    .where(and(eq(chatWorkspaces.orgId, row.orgId), eq(chatWorkspaces.platform, platform)))
    .orderBy(chatWorkspaces.createdAt);
  const roles = view.approval?.roles ?? [];
  const channels = await loadRoleChannels(db, roles.map((r) => r.roleId).filter((id): id is string => id !== null));
  const approvals: RoleApprovalContext[] = [];
  for (const r of roles) approvals.push({ ...r, decider: await decider(r.deciderUserId, r.decidedAt), channels: (r.roleId && channels.get(r.roleId)) || {} });
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  return {
    view,
    requester: await person(view.userId),
    decider: view.approval ? await decider(view.approval.deciderUserId, view.approval.decidedAt) : null,
    workspaceIds: workspaces.map((w) => w.id),
    approvals,
    approvalChannels: { slack: uniq(approvals.map((a) => a.channels.slack)), teams: uniq(approvals.map((a) => a.channels.teams)) },
    channelCards: row.settings.chat?.channelCards === true,
  };
}
