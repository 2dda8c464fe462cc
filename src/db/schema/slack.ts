import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/**
 * A Slack workspace that installed the app through OAuth (many-workspace mode). The bot token is
 * stored sealed (AES-256-GCM, key derived from SLACK_CLIENT_SECRET; see chat/slack/seal.ts), never
 * in plain text. `orgId` is the organization the workspace was bound to (chat_workspaces) when it
 * installed; null until an admin binds it in the org file.
 */
export const slackInstallations = pgTable('slack_installations', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The workspace (T…), or the enterprise (E…) for an org-wide install. */
  teamId: text('team_id').notNull().unique(),
  teamName: text('team_name'),
  enterpriseId: text('enterprise_id'),
  orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'set null' }),
  appId: text('app_id'),
  botUserId: text('bot_user_id'),
  botTokenSealed: text('bot_token_sealed').notNull(),
  scopes: text('scopes').notNull(),
  /** The Slack user who installed it. */
  installedBy: text('installed_by'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
