import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** Per-organization overrides of the plan table; see engine/plans.ts. */
export interface OrgSettings {
  maxSessionHours?: number;
  defaultDurationHours?: number;
  maxConcurrentSessions?: number | null;
  maxResources?: number | null;
  durationsHours?: number[];
  /** Starts, stops and extensions one person may make per minute (engine/throttle.ts); unset: 10. */
  actionsPerMinute?: number;
  /** `claim: { confirmInChat: true }` (org file): every claim link of the org waits for the requester's OK in chat. */
  claim?: { confirmInChat?: boolean };
  /** How many addresses one session may hold at once ("Add this address", engine/session-address.ts); unset: 2. */
  maxAddressesPerSession?: number;
  /** `chat: { channelCards: true }`: a session started in a channel posts its card there; otherwise the card goes to the person privately. */
  chat?: { channelCards?: boolean };
}

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  plan: text('plan').$type<'free' | 'starter' | 'team' | 'business'>().notNull(),
  settings: jsonb('settings').$type<OrgSettings>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A Slack workspace (team id) or a Teams tenant bound to an organization. */
export const chatWorkspaces = pgTable(
  'chat_workspaces',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    platform: text('platform').$type<'slack' | 'teams'>().notNull(),
    externalId: text('external_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('chat_workspaces_platform_external').on(t.platform, t.externalId)],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    displayName: text('display_name'),
    isAdmin: boolean('is_admin').notNull().default(false),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_org_email').on(t.orgId, sql`lower(${t.email})`)],
);

/** A chat account (Slack user id, Teams AAD object id) known to belong to a user. */
export const chatIdentities = pgTable(
  'chat_identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    platform: text('platform').$type<'slack' | 'teams'>().notNull(),
    externalId: text('external_id').notNull(),
    source: text('source').$type<'config' | 'email'>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('chat_identities_platform_external').on(t.platform, t.externalId)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    scopes: text('scopes').array().notNull(),
    createdAt: createdAt(),
    /** Every key expires (90 days unless created with another lifetime; engine/api-keys.ts). */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_user').on(t.userId)],
);
