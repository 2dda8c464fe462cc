import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chatMessageRefs, claims, roles, type ApprovalChannels } from '../db/schema/index.ts';

export type ChatMessageRef = typeof chatMessageRefs.$inferSelect;
export type NewChatMessageRef = typeof chatMessageRefs.$inferInsert;

/** Where chat messages about a session live (its card, approval cards), for updating them in place. */
export async function loadMessageRefs(db: Db, sessionId: string, platform: 'slack' | 'teams'): Promise<ChatMessageRef[]> {
  return db
    .select()
    .from(chatMessageRefs)
    .where(and(eq(chatMessageRefs.sessionId, sessionId), eq(chatMessageRefs.platform, platform)))
    .orderBy(chatMessageRefs.createdAt);
}

export async function saveMessageRef(db: Db, ref: NewChatMessageRef): Promise<ChatMessageRef> {
  const [row] = await db.insert(chatMessageRefs).values(ref).returning();
  return row!;
}

export async function updateMessageRef(db: Db, id: string, patch: Partial<Pick<ChatMessageRef, 'messageId' | 'conversationRef' | 'channel'>>): Promise<void> {
  await db.update(chatMessageRefs).set(patch).where(eq(chatMessageRefs.id, id));
}

/** Where the request came from (the claim's origin context: channel, thread, conversation reference). */
export async function loadSessionOrigin(db: Db, sessionId: string): Promise<Record<string, unknown> | undefined> {
  const [claim] = await db.select({ ctx: claims.originContext }).from(claims).where(eq(claims.sessionId, sessionId));
  return claim?.ctx;
}

/** Each role's approval channels (per platform), for the roles a session's approval went to. */
export async function loadRoleChannels(db: Db, roleIds: readonly string[]): Promise<Map<string, ApprovalChannels>> {
  if (roleIds.length === 0) return new Map();
  const rows = await db.select({ id: roles.id, channels: roles.approvalChannels }).from(roles).where(inArray(roles.id, [...roleIds]));
  return new Map(rows.map((r) => [r.id, r.channels]));
}
