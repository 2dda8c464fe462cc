import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { approvals, resources, sessionRules, sessions, users, type SessionState } from '../db/schema/index.ts';
import { MINUTE_MS } from '../shared/clock.ts';
import { canExtend } from './state-machine.ts';
import { summarizeApprovals, type ApprovalSummary } from './approval-summary.ts';

export interface SessionRuleView {
  resourceId: string;
  resourceName: string;
  kind: string;
  ipVersion: 4 | 6;
  cidr: string;
  state: string;
  error: string | null;
}

/** Everything a card, a page or an API response shows about a session. */
export interface SessionView {
  id: string;
  orgId: string;
  userId: string;
  userEmail: string;
  state: SessionState;
  ipv4: string | null;
  ipv6: string | null;
  durationMinutes: number;
  origin: string;
  createdAt: Date;
  startedAt: Date | null;
  expiresAt: Date | null;
  endedAt: Date | null;
  endedReason: string | null;
  /** Why the person asked for it, as stored (one line, capped); escape per platform. */
  reason: string | null;
  /** Its whole length in minutes, extensions included (the requested duration until it starts). */
  totalMinutes: number;
  /** The latest `expiresAt` an extension could reach. */
  capAt: Date | null;
  canExtend: boolean;
  /** The approval as a whole and each role's part (null: no role needed one). */
  approval: ApprovalSummary | null;
  rules: SessionRuleView[];
}

export async function loadSessionViews(tx: DbOrTx, where: { orgId: string; userId?: string; ids?: string[]; states?: SessionState[]; limit?: number }): Promise<SessionView[]> {
  const conditions = [eq(sessions.orgId, where.orgId)];
  if (where.userId) conditions.push(eq(sessions.userId, where.userId));
  if (where.ids) conditions.push(inArray(sessions.id, where.ids.length ? where.ids : ['00000000-0000-0000-0000-000000000000']));
  if (where.states) conditions.push(inArray(sessions.state, where.states));
  const rows = await tx
    .select({ session: sessions, email: users.email })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(...conditions))
    .orderBy(desc(sessions.createdAt))
    .limit(where.limit ?? 100);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.session.id);
  const rules = await tx
    .select({ rule: sessionRules, name: resources.name, kind: resources.kind })
    .from(sessionRules)
    .innerJoin(resources, eq(resources.id, sessionRules.resourceId))
    .where(inArray(sessionRules.sessionId, ids))
    .orderBy(resources.name, sessionRules.ipVersion);
  const asked = await tx.select().from(approvals).where(inArray(approvals.sessionId, ids));
  return rows.map(({ session: s, email }) => {
    const capAt = s.startedAt ? new Date(s.startedAt.getTime() + s.maxTotalMinutes * MINUTE_MS) : null;
    return {
      id: s.id,
      orgId: s.orgId,
      userId: s.userId,
      userEmail: email,
      state: s.state,
      ipv4: s.ipv4,
      ipv6: s.ipv6,
      durationMinutes: s.durationMinutes,
      origin: s.origin,
      createdAt: s.createdAt,
      startedAt: s.startedAt,
      expiresAt: s.expiresAt,
      endedAt: s.endedAt,
      endedReason: s.endedReason,
      reason: s.reason,
      totalMinutes: s.startedAt && s.expiresAt ? Math.round((s.expiresAt.getTime() - s.startedAt.getTime()) / MINUTE_MS) : s.durationMinutes,
      capAt,
      canExtend: canExtend(s.state) && !!capAt && !!s.expiresAt && s.expiresAt < capAt,
      approval: summarizeApprovals(asked.filter((a) => a.sessionId === s.id)) ?? null,
      rules: rules
        .filter((r) => r.rule.sessionId === s.id)
        .map((r) => ({
          resourceId: r.rule.resourceId,
          resourceName: r.name,
          kind: r.kind,
          ipVersion: r.rule.ipVersion,
          cidr: r.rule.cidr,
          state: r.rule.state,
          error: r.rule.error,
        })),
    };
  });
}
