import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { userThrottle, type OrgSettings } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';

/** Starts, stops and extensions a person may make per minute unless the organization sets otherwise. */
export const DEFAULT_ACTIONS_PER_MINUTE = 10;

/** Float arithmetic on refills must not refuse an action that is due by a rounding error. */
const EPSILON = 1e-9;

/**
 * Spends one action from a person's budget for start / stop / extend, so one person cannot spend
 * the organization's cloud API quota by churning sessions. A token bucket: `actionsPerMinute`
 * actions at once, refilled evenly over a minute. It lives in Postgres (one row per user, one
 * upsert per action inside the caller's transaction), so every web process shares it; a refused
 * or rolled-back use case spends nothing.
 * `force` (a stop: closing access must always work) spends what is there and is never refused.
 * Errors: THROTTLED with details.retryAfterSeconds.
 */
export async function spendAction(tx: Tx, now: Date, userId: string, settings: OrgSettings, opts: { force?: boolean } = {}): Promise<void> {
  const capacity = settings.actionsPerMinute ?? DEFAULT_ACTIONS_PER_MINUTE;
  const perSecond = capacity / 60;
  const at = now.toISOString();
  // What the bucket holds now: what was left plus the refill since (never more than full; a clock
  // behind the last writer's refills nothing).
  const refilled = sql`least(${capacity}::float8, ${userThrottle.tokens} + greatest(0, extract(epoch from (${at}::timestamptz - ${userThrottle.updatedAt}))) * ${perSecond}::float8)`;
  const rows = await tx
    .insert(userThrottle)
    .values({ userId, tokens: capacity - 1, updatedAt: now })
    .onConflictDoUpdate({
      target: userThrottle.userId,
      set: {
        tokens: opts.force ? sql`greatest(0, ${refilled} - 1)` : sql`${refilled} - 1`,
        updatedAt: sql`greatest(${userThrottle.updatedAt}, ${at}::timestamptz)`,
      },
      ...(opts.force ? {} : { setWhere: sql`${refilled} >= ${1 - EPSILON}` }),
    })
    .returning({ tokens: userThrottle.tokens });
  if (rows.length > 0) return;

  const [row] = await tx.select().from(userThrottle).where(eq(userThrottle.userId, userId));
  const elapsed = row ? Math.max(0, (now.getTime() - row.updatedAt.getTime()) / 1000) : 0;
  const available = row ? Math.min(capacity, row.tokens + elapsed * perSecond) : 0;
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - available) / perSecond - EPSILON));
  throw new AppError(
    'THROTTLED',
    `You are starting, stopping or extending sessions too often. Try again in ${retryAfterSeconds} seconds.`,
    { details: { retryAfterSeconds, actionsPerMinute: capacity } },
  );
}
