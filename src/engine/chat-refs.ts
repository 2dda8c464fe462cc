import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { approvals, chatMessageRefs, claims, roles } from '../db/schema/index.ts';

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

/** The approval channels (per platform) of the roles a session's approval request went to. */
export async function loadApprovalChannels(db: Db, sessionId: string): Promise<{ slack: string[]; teams: string[] }> {
  const [approval] = await db.select({ roleIds: approvals.roleIds }).from(approvals).where(eq(approvals.sessionId, sessionId));
  if (!approval || approval.roleIds.length === 0) return { slack: [], teams: [] };
  const rows = await db.select({ channels: roles.approvalChannels }).from(roles).where(inArray(roles.id, approval.roleIds));
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  return { slack: uniq(rows.map((r) => r.channels.slack)), teams: uniq(rows.map((r) => r.channels.teams)) };
}
