import { doublePrecision, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './organizations.ts';

/**
 * One token bucket per user for start / stop / extend (engine/throttle.ts): how many actions are
 * left and when that was computed. One row per person, updated in place by a single statement,
 * so every web process shares it and it costs one indexed write per action.
 */
export const userThrottle = pgTable('user_throttle', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokens: doublePrecision('tokens').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});
