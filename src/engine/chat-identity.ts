import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chatIdentities, chatWorkspaces, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { UserRow } from './users.ts';

export type ChatPlatform = 'slack' | 'teams';

export interface ChatUserRef {
  platform: ChatPlatform;
  /** Slack team id / Teams tenant id: finds the organization. */
  workspaceId: string;
  /** Slack user id / Teams AAD object id. */
  userId: string;
  /** Looked up lazily (Slack users.info, Teams member lookup) only when the id is not yet known. */
  lookupEmail?: () => Promise<string | undefined>;
  /** What the person tried ("command start", "button session.stop"), for the audit of a refusal. */
  attempt?: string;
}

/**
 * Maps a chat account to an EntryGuard user: an explicit mapping from the org file or an earlier
 * match first, else the account's email (remembered for next time). Unknown workspaces, unknown
 * people and disabled users are refused with a message safe to show in chat — never access —
 * and each refusal is audited (who, from where, what they tried).
 * Errors: ORG_NOT_FOUND, USER_NOT_FOUND, USER_DISABLED.
 */
export async function resolveChatUser(db: Db, ref: ChatUserRef): Promise<UserRow> {
  const [workspace] = await db
    .select({ orgId: chatWorkspaces.orgId })
    .from(chatWorkspaces)
    .where(and(eq(chatWorkspaces.platform, ref.platform), eq(chatWorkspaces.externalId, ref.workspaceId)));
  if (!workspace) return refuseChatUser(db, ref, new AppError('ORG_NOT_FOUND', 'This workspace is not connected to EntryGuard. Ask an admin.'));

  const [known] = await db
    .select({ user: users })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(and(eq(chatIdentities.platform, ref.platform), eq(chatIdentities.externalId, ref.userId), eq(users.orgId, workspace.orgId)));
  let user = known?.user;
  let email: string | undefined;
  if (!user) {
    email = await ref.lookupEmail?.();
    if (email) {
      [user] = await db.select().from(users).where(and(eq(users.orgId, workspace.orgId), sql`lower(${users.email}) = lower(${email})`));
      if (user) {
        await db
          .insert(chatIdentities)
          .values({ userId: user.id, platform: ref.platform, externalId: ref.userId, source: 'email' })
          .onConflictDoNothing();
      }
    }
  }
  if (!user) {
    return refuseChatUser(db, ref, new AppError('USER_NOT_FOUND', 'EntryGuard does not know you yet. Ask an admin to add your email.'), { orgId: workspace.orgId, email });
  }
  if (!user.isActive) {
    return refuseChatUser(db, ref, new AppError('USER_DISABLED', 'Your EntryGuard account is disabled. Ask an admin.'), { orgId: workspace.orgId, email: user.email, userId: user.id });
  }
  return user;
}

/**
 * Audits that a chat account EntryGuard cannot act for tried something (CHAT_REQUEST, DENIED,
 * in its organization's trail when the workspace is known), then throws `err`. For refusals
 * made before an account can even be looked up, too (a Teams activity without a tenant).
 */
export async function refuseChatUser(
  db: Db,
  ref: Pick<ChatUserRef, 'platform' | 'workspaceId' | 'userId' | 'attempt'>,
  err: AppError,
  who: { orgId?: string; email?: string | undefined; userId?: string } = {},
): Promise<never> {
  await recordAudit(
    db,
    { type: 'chat', orgId: who.orgId ?? null, userId: who.userId, label: `${ref.platform}:${who.email ?? ref.userId}` },
    {
      action: 'CHAT_REQUEST',
      result: 'DENIED',
      targetType: 'chat_user',
      targetId: `${ref.platform}:${ref.workspaceId}/${ref.userId}`,
      details: { code: err.code, reason: err.userMessage, attempt: ref.attempt ?? null, workspaceId: ref.workspaceId, chatUserId: ref.userId, email: who.email ?? null },
    },
  );
  throw err;
}

/** The Actor for a resolved chat user. */
export function chatActor(user: UserRow, platform: ChatPlatform): Actor & { userId: string; orgId: string } {
  return { type: 'chat', orgId: user.orgId, userId: user.id, label: `${platform}:${user.email}` };
}
