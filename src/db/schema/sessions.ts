import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { resources, roles } from './access.ts';
import { organizations, users } from './organizations.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true });

export const SESSION_STATES = [
  /** The browser confirmed a claim link; the requester must open the captured address in chat. */
  'AWAITING_CONFIRMATION',
  'AWAITING_APPROVAL',
  'PENDING',
  'ACTIVE',
  'PARTIAL',
  'FAILED',
  'EXPIRING',
  'EXPIRED',
  'CANCELLED',
  'DENIED',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const ENDED_REASONS = ['MANUAL', 'ADMIN', 'EXPIRED', 'APPROVAL_DENIED', 'APPROVAL_TIMEOUT', 'NOT_CONFIRMED'] as const;
export type EndedReason = (typeof ENDED_REASONS)[number];

export type SessionOrigin = 'api' | 'slack' | 'teams' | 'web';

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    state: text('state').$type<SessionState>().notNull(),
    ipv4: text('ipv4'),
    ipv6: text('ipv6'),
    durationMinutes: integer('duration_minutes').notNull(),
    /** The longest total length this session may reach, fixed at start (plan, org and roles). */
    maxTotalMinutes: integer('max_total_minutes').notNull(),
    origin: text('origin').$type<SessionOrigin>().notNull(),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    expiresAt: ts('expires_at'),
    endedAt: ts('ended_at'),
    endedReason: text('ended_reason').$type<EndedReason>(),
    /** Why the person asked ("fixing INC-123"), as they typed it (capped: engine/reason.ts); shown to approvers and in the audit. */
    reason: text('reason'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('sessions_user_state').on(t.userId, t.state),
    index('sessions_org_created').on(t.orgId, t.createdAt),
    index('sessions_live_expiry')
      .on(t.expiresAt)
      .where(sql`${t.state} in ('PENDING', 'ACTIVE', 'PARTIAL')`),
  ],
);

export const RULE_STATES = ['PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** One row per session × resource × address (a session may move to, or add, another address: issue 14). */
export const sessionRules = pgTable(
  'session_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    resourceId: uuid('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'restrict' }),
    ipVersion: smallint('ip_version').$type<4 | 6>().notNull(),
    cidr: text('cidr').notNull(),
    state: text('state').$type<RuleState>().notNull(),
    error: text('error'),
    appliedAt: ts('applied_at'),
    removedAt: ts('removed_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('session_rules_session_resource_cidr').on(t.sessionId, t.resourceId, t.cidr),
    index('session_rules_resource_open')
      .on(t.resourceId, t.cidr)
      .where(sql`${t.state} in ('PENDING', 'APPLIED', 'REMOVING')`),
  ],
);

/**
 * PRESENT: the provider confirmed the CIDR's rules exist. ADDING / REMOVING: the intent recorded
 * (and committed) before a provider call that adds or removes them. A crash mid-call leaves the
 * intent, so the rule counts as possibly there until a later sync settles it either way.
 */
export const ENTRY_STATES = ['PRESENT', 'ADDING', 'REMOVING'] as const;
export type EntryState = (typeof ENTRY_STATES)[number];

/** What is (or may be) in the cloud for a resource: one row per CIDR we manage there. */
export const resourceEntries = pgTable(
  'resource_entries',
  {
    resourceId: uuid('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'cascade' }),
    cidr: text('cidr').notNull(),
    providerRuleId: text('provider_rule_id'),
    state: text('state').$type<EntryState>().notNull().default('PRESENT'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.cidr] })],
);

export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'TIMED_OUT' | 'WITHDRAWN';

/**
 * One role's decision on a session: a session needing several roles' approval has one row per
 * role, and opens only when every row is APPROVED (any DENIED or TIMED_OUT denies it). The role's
 * name is kept, so the record and its card still name the role after the role is deleted (its
 * approvers are gone then too: the request times out).
 */
export const approvals = pgTable(
  'approvals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    roleId: uuid('role_id').references(() => roles.id, { onDelete: 'set null' }),
    roleName: text('role_name').notNull(),
    status: text('status').$type<ApprovalStatus>().notNull(),
    deciderUserId: uuid('decider_user_id').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason'),
    requestedAt: createdAt(),
    /** This role's own deadline (its approvalTimeoutMinutes from the request). */
    expiresAt: ts('expires_at').notNull(),
    decidedAt: ts('decided_at'),
  },
  (t) => [uniqueIndex('approvals_session_role').on(t.sessionId, t.roleId), index('approvals_pending_expiry').on(t.expiresAt).where(sql`${t.status} = 'PENDING'`)],
);

/** Where a chat message about a session or an approval lives, so the worker can update it in place. */
export const chatMessageRefs = pgTable(
  'chat_message_refs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    approvalId: uuid('approval_id').references(() => approvals.id, { onDelete: 'cascade' }),
    platform: text('platform').$type<'slack' | 'teams'>().notNull(),
    kind: text('kind').$type<'session_card' | 'approval_card'>().notNull(),
    channel: text('channel').notNull(),
    messageId: text('message_id'),
    conversationRef: jsonb('conversation_ref').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('chat_message_refs_session').on(t.sessionId)],
);

/** A single-use link that captures the user's address in a browser (docs/architecture.md §4). */
export const claims = pgTable('claims', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  durationMinutes: integer('duration_minutes').notNull(),
  origin: text('origin').$type<SessionOrigin>().notNull(),
  originContext: jsonb('origin_context').$type<Record<string, unknown>>().notNull().default({}),
  /** The reason given in chat, carried to the session the link starts. */
  reason: text('reason'),
  /** Hash of the token the confirmation page gives the browser to add its other address family. */
  familyTokenHash: text('family_token_hash'),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'set null' }),
});

/**
 * A single-use link to the access check page (engine/check-links.ts). Opening it shows; the first
 * POST runs the check and marks it used, handing the page an action token for one move or add.
 */
export const checkLinks = pgTable(
  'check_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull().unique(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    actionTokenHash: text('action_token_hash'),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    actedAt: ts('acted_at'),
  },
  (t) => [index('check_links_expires').on(t.expiresAt)],
);

export type ActorType = 'user' | 'api_key' | 'system' | 'chat';
export type AuditResult = 'SUCCESS' | 'DENIED' | 'FAILURE';

/**
 * Append-only: the application's role may only INSERT and SELECT, and a trigger refuses UPDATE
 * and DELETE to anyone else. Tamper-evident: each event gets a link in `audit_chain`.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: uuid('org_id'),
    at: ts('at').notNull().defaultNow(),
    actorType: text('actor_type').$type<ActorType>().notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    result: text('result').$type<AuditResult>().notNull(),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_events_org_at').on(t.orgId, t.at), index('audit_events_target').on(t.targetType, t.targetId)],
);

/**
 * The hash chain over audit events, one link per event, written by the owner's trigger when the
 * event's transaction commits (migrations/0004): `seq` counts its organization's chain, `hash`
 * covers the event, its `seq` and `prev_hash` (engine/audit-chain.ts), so a changed, removed or
 * inserted event breaks the chain. Append-only like the events.
 */
export const auditChain = pgTable(
  'audit_chain',
  {
    eventId: bigint('event_id', { mode: 'number' }).primaryKey(),
    /** The organization, or the zero uuid for events of no organization. */
    chainId: uuid('chain_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** The previous link's hash; null for the first. */
    prevHash: text('prev_hash'),
    /** sha256 (hex) of the canonical encoding. */
    hash: text('hash').notNull(),
  },
  (t) => [uniqueIndex('audit_chain_chain_seq').on(t.chainId, t.seq)],
);

/** The last link of each chain: the lock that orders one organization's events, and the end a verification must reach. */
export const auditChainHeads = pgTable('audit_chain_heads', {
  chainId: uuid('chain_id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash'),
  eventId: bigint('event_id', { mode: 'number' }),
});
