import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { approvals, chatIdentities, chatWorkspaces, sessions, users } from '../db/schema/index.ts';
import type { ChatPlatform } from './chat-identity.ts';
import { loadApprovalChannels } from './chat-refs.ts';
import { loadSessionViews, type SessionView } from './session-view.ts';

export interface ChatPerson {
  email: string;
  /** Their account id on the platform when known (Slack user id …), for mentions. */
  chatId: string | undefined;
}

/** What a chat notifier needs to render a session: its view, who asked, who decided, where the org lives. */
export interface ChatSessionContext {
  view: SessionView;
  requester: ChatPerson;
  decider: (ChatPerson & { at: Date | null }) | null;
  /** The org's workspaces (Slack team ids / Teams tenants) on this platform, oldest first. */
  workspaceIds: string[];
  /** Where the request was to be asked, on every platform (empty without an approval). */
  approvalChannels: { slack: string[]; teams: string[] };
}

/**
 * A request nobody is asked about in chat: no approval channel on any platform for its roles.
 * Approvers can still decide through the REST API; the requester should know that.
 */
export const isUnroutedRequest = (ctx: ChatSessionContext): boolean =>
  ctx.view.state === 'AWAITING_APPROVAL' && ctx.view.approval?.status === 'PENDING' && ctx.approvalChannels.slack.length + ctx.approvalChannels.teams.length === 0;

/**
 * Loads a session for a background notifier, which acts for no user and knows only the id.
 * Returns undefined for an unknown session (deleted meanwhile): there is nothing to tell.
 */
export async function loadChatSessionContext(db: Db, sessionId: string, platform: ChatPlatform): Promise<ChatSessionContext | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(sessionId)) return undefined;
  const [row] = await db.select({ orgId: sessions.orgId }).from(sessions).where(eq(sessions.id, sessionId));
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
  const deciderId = view.approval?.deciderUserId;
  const workspaces = await db
    .select({ id: chatWorkspaces.externalId })
    .from(chatWorkspaces)
    .where(and(eq(chatWorkspaces.orgId, row.orgId), eq(chatWorkspaces.platform, platform)))
    .orderBy(chatWorkspaces.createdAt);
  return {
    view,
    requester: await person(view.userId),
    decider: deciderId ? { ...(await person(deciderId)), at: await decidedAt(db, sessionId) } : null,
    workspaceIds: workspaces.map((w) => w.id),
    approvalChannels: view.approval ? await loadApprovalChannels(db, sessionId) : { slack: [], teams: [] },
  };
}

async function decidedAt(db: Db, sessionId: string): Promise<Date | null> {
  const [a] = await db.select({ at: approvals.decidedAt }).from(approvals).where(eq(approvals.sessionId, sessionId));
  return a?.at ?? null;
}
