import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from './organizations.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/**
 * How to reach a cloud account. Only a *reference* is stored (`env:NAME`, `file:PATH` or
 * `default` for the platform's default chain) plus non-secret options such as a role ARN.
 */
export const credentials = pgTable(
  'credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    secretRef: text('secret_ref').notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('credentials_org_name').on(t.orgId, t.name)],
);

export interface PortRange {
  protocol: 'tcp' | 'udp' | 'icmp' | 'all';
  from?: number | undefined;
  to?: number | undefined;
}

export const resources = pgTable(
  'resources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    identifier: text('identifier').notNull(),
    region: text('region'),
    ports: jsonb('ports').$type<PortRange[]>().notNull().default([]),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    credentialId: uuid('credential_id').references(() => credentials.id, { onDelete: 'restrict' }),
    isActive: boolean('is_active').notNull().default(true),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    verifyError: text('verify_error'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('resources_org_name').on(t.orgId, t.name)],
);

/** Optional approval policy lives on the role: who approves, where they are asked, how long they have. */
export interface ApprovalChannels {
  slack?: string;
  teams?: string;
}

export const roles = pgTable(
  'roles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    maxSessionDurationHours: integer('max_session_duration_hours'),
    requiresApproval: boolean('requires_approval').notNull().default(false),
    approvalChannels: jsonb('approval_channels').$type<ApprovalChannels>().notNull().default({}),
    approvalTimeoutMinutes: integer('approval_timeout_minutes').notNull().default(30),
    /** `claim: { confirmInChat: true }`: a claim link confirmed in a browser only captures the address;
     *  the requester opens it in chat. */
    confirmClaimInChat: boolean('confirm_claim_in_chat').notNull().default(false),
    /** `approval: { allowAddressChange: true }`: a session this role approved may move to a new address without asking again. */
    approvalAllowsAddressChange: boolean('approval_allows_address_change').notNull().default(false),
    /** `requireReason: true`: members must say why they start a session. */
    requireReason: boolean('require_reason').notNull().default(false),
    /** The approval channels the org file sets (per platform): `approvals here` may not move these. */
    pinnedApprovalChannels: jsonb('pinned_approval_channels').$type<ApprovalChannels>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('roles_org_name').on(t.orgId, t.name)],
);

export const roleMembers = pgTable(
  'role_members',
  {
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.userId] })],
);

export const roleApprovers = pgTable(
  'role_approvers',
  {
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.userId] })],
);

export const roleResources = pgTable(
  'role_resources',
  {
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    resourceId: uuid('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.resourceId] })],
);

export const userResources = pgTable(
  'user_resources',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    resourceId: uuid('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.resourceId] })],
);
