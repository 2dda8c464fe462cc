import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chatIdentities, chatWorkspaces, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import type { Actor } from './audit.ts';
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
}

/**
 * Maps a chat account to an EntryGuard user: an explicit mapping from the org file or an earlier
 * match first, else the account's email (remembered for next time). Unknown workspaces, unknown
 * people and disabled users are refused with a message safe to show in chat — never access.
 * Errors: ORG_NOT_FOUND, USER_NOT_FOUND, USER_DISABLED.
 */
export async function resolveChatUser(db: Db, ref: ChatUserRef): Promise<UserRow> {
  const [workspace] = await db
    .select({ orgId: chatWorkspaces.orgId })
    .from(chatWorkspaces)
    .where(and(eq(chatWorkspaces.platform, ref.platform), eq(chatWorkspaces.externalId, ref.workspaceId)));
  if (!workspace) throw new AppError('ORG_NOT_FOUND', 'This workspace is not connected to EntryGuard. Ask an admin.');

  const [known] = await db
    .select({ user: users })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(and(eq(chatIdentities.platform, ref.platform), eq(chatIdentities.externalId, ref.userId), eq(users.orgId, workspace.orgId)));
  let user = known?.user;
  if (!user) {
    const email = await ref.lookupEmail?.();
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
  if (!user) throw new AppError('USER_NOT_FOUND', 'EntryGuard does not know you yet. Ask an admin to add your email.');
  if (!user.isActive) throw new AppError('USER_DISABLED', 'Your EntryGuard account is disabled. Ask an admin.');
  return user;
}

/** The Actor for a resolved chat user. */
export function chatActor(user: UserRow, platform: ChatPlatform): Actor & { userId: string; orgId: string } {
  return { type: 'chat', orgId: user.orgId, userId: user.id, label: `${platform}:${user.email}` };
}
