import { z } from 'zod';
import { API_SCOPES } from '../../engine/api-keys.ts';
import type { SessionView } from '../../engine/session-view.ts';

/**
 * The REST API's request and response shapes. The routes validate with them and the OpenAPI
 * document is generated from them (openapi.ts), so the two cannot drift apart. Named schemas
 * (`.meta({ id })`) become OpenAPI components; ids and descriptions live in zod's global
 * registry, where z.toJSONSchema reads them.
 */

export const SESSION_STATES = ['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED', 'DENIED'] as const;
// Fails to compile when the engine gains a state this list lacks.
const _allStates: Exclude<SessionView['state'], (typeof SESSION_STATES)[number]> extends never ? true : never = true;
void _allStates;
export const RULE_STATES = ['PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED'] as const;

const isoDate = z.iso.datetime();

/** Session ids in paths, as engine/session-ref.ts reads them. */
export const SESSION_ID_PARAM = {
  description:
    'The session id, or as in chat a unique prefix of it (the 8 characters chat shows), among the sessions you may see. A prefix that matches several is 409 with details.matchingIds.',
  pattern: '^[0-9a-fA-F][0-9a-fA-F-]{3,35}$',
};
const MAX_MINUTES = 7 * 24 * 60;

// ---------- responses ----------

export const SessionRule = z
  .object({
    resourceId: z.string(),
    resourceName: z.string(),
    kind: z.string().describe('Provider kind, e.g. aws-security-group'),
    ipVersion: z.union([z.literal(4), z.literal(6)]),
    cidr: z.string().describe('/32 or /128'),
    state: z.enum(RULE_STATES),
    error: z.string().nullable().describe('Why the rule could not be applied or removed'),
  })
  .meta({ id: 'SessionRule' });

export const Session = z
  .object({
    id: z.string(),
    userId: z.string(),
    userEmail: z.string(),
    state: z.enum(SESSION_STATES),
    ipv4: z.string().nullable(),
    ipv6: z.string().nullable(),
    durationMinutes: z.number().int().describe('Total length: the requested one plus every extension (until the clock starts, the requested one)'),
    requestedMinutes: z.number().int().describe('The length asked for at start, extensions not included'),
    origin: z.string().describe('slack, teams, api or web'),
    reason: z.string().nullable().describe('Why the person started it, as they said it (null when they gave none)'),
    createdAt: isoDate,
    startedAt: isoDate.nullable().describe('When the clock started (entering PENDING; null while awaiting approval)'),
    expiresAt: isoDate.nullable().describe('When access ends; while AWAITING_CONFIRMATION, the deadline to open the address in chat'),
    endedAt: isoDate.nullable(),
    endedReason: z.string().nullable().describe('MANUAL, ADMIN, EXPIRED, APPROVAL_DENIED, APPROVAL_TIMEOUT or NOT_CONFIRMED'),
    maxExpiresAt: isoDate.nullable().describe('The latest expiry extensions can reach'),
    canExtend: z.boolean(),
    approval: z
      .object({
        status: z.string().describe('PENDING (a role still waits), APPROVED (every role approved), DENIED, TIMED_OUT or WITHDRAWN'),
        expiresAt: isoDate.describe('The earliest deadline of a role still waiting'),
        deciderUserId: z.string().nullable().describe('Who denied, or the last to approve'),
        reason: z.string().nullable(),
        waitingFor: z.array(z.string()).describe('Roles whose approvers have not answered yet'),
        roles: z
          .array(
            z.object({
              role: z.string(),
              roleId: z.string().nullable().describe('null once the role was deleted'),
              status: z.string().describe('PENDING, APPROVED, DENIED, TIMED_OUT or WITHDRAWN'),
              expiresAt: isoDate,
              deciderUserId: z.string().nullable(),
              reason: z.string().nullable(),
              decidedAt: isoDate.nullable(),
            }),
          )
          .describe('Each role that must approve, and its decision'),
      })
      .nullable()
      .describe('Approval per role: the session opens once every role approved; one denial denies it'),
    rules: z.array(SessionRule).describe('One per resource and IP version'),
  })
  .meta({ id: 'Session' });
export type Session = z.input<typeof Session>;

export const SessionList = z.object({ items: z.array(Session) });

export const ApprovalResult = z.object({
  sessionId: z.string(),
  state: z.enum(SESSION_STATES),
  status: z.string().describe('The approval status after the call'),
  alreadyDecided: z.boolean(),
  decided: z.array(z.string()).describe('The roles this call decided for'),
  waitingFor: z.array(z.string()).describe('Roles still waiting after the call'),
});

export const AuditEvent = z
  .object({
    id: z.number().int(),
    at: isoDate,
    actorType: z.string(),
    actorId: z.string().nullable(),
    actorLabel: z.string().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    result: z.enum(['SUCCESS', 'DENIED', 'FAILURE']),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });
export const AuditPage = z.object({ items: z.array(AuditEvent), total: z.number().int(), page: z.number().int(), size: z.number().int() });

export const Me = z.object({
  user: z.object({ id: z.string(), email: z.string(), isAdmin: z.boolean() }),
  orgId: z.string(),
  apiKey: z.object({ id: z.string(), prefix: z.string(), scopes: z.array(z.enum(API_SCOPES)) }),
  durations: z.object({
    offeredMinutes: z.array(z.number().int()).describe('What POST /sessions accepts for this user'),
    maxTotalMinutes: z.number().int().describe('The longest a session may run, extensions included'),
  }),
});

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the token (eg_live_xxxxxx), to tell keys apart; the token itself is never shown again'),
    userId: z.string(),
    userEmail: z.string().describe('The key acts as this user'),
    scopes: z.array(z.string()),
    createdAt: isoDate,
    expiresAt: isoDate,
    revokedAt: isoDate.nullable(),
    lastUsedAt: isoDate.nullable().describe('Recorded at most once a minute'),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .meta({ id: 'ApiKey' });
export const ApiKeyList = z.object({ items: z.array(ApiKey) });
export const RevokeApiKeyResult = z.object({ key: ApiKey, alreadyRevoked: z.boolean().describe('The key was revoked before: nothing changed') });

export const ErrorResponse = z
  .object({
    error: z.string().describe('Stable code, e.g. VALIDATION_FAILED, SESSION_NOT_FOUND'),
    message: z.string().describe('Safe to show to a person'),
    requestId: z.string(),
    details: z.record(z.string(), z.unknown()).optional().describe('fields (per-field messages), offeredMinutes, requiredScope …'),
  })
  .meta({ id: 'Error' });

// ---------- requests ----------

const hoursField = z
  .number()
  .positive()
  .max(MAX_MINUTES / 60)
  .refine((h) => Number.isInteger(Math.round(h * 60 * 1e6) / 1e6), 'Must be a whole number of minutes.');

/**
 * One duration grammar for start and extend: text (`duration`) or a number of hours. The text is
 * read by the route, which knows the caller and so can say what they may pick when it is not a
 * duration (duration-body.ts); a fixed example here would suggest durations a plan refuses.
 */
const durationFields = {
  duration: z.string().trim().min(1).max(20).optional().describe('Length as text: hours and/or minutes ("<h>h", "<m>m", "<h>h<m>m") or a bare number of hours'),
  durationHours: hoursField.optional().describe('Length in hours (fractions allowed when they make whole minutes)'),
};
const notBoth = { message: 'Give durationHours or duration, not both.', path: ['duration'] };

/** No IP field on purpose: the address is the caller's, detected server-side (docs/architecture.md §4). */
export const StartSessionBody = z
  .strictObject({
    ...durationFields,
    reason: z.string().max(1000).optional().describe('Why ("fixing INC-123"); required when one of your roles sets requireReason. Kept on one line, at most 200 characters'),
  })
  .refine((b) => b.durationHours === undefined || b.duration === undefined, notBoth)
  .describe('Without a duration: the org default, else the shortest offered. A start must use one of the durations GET /me lists (`durations.offeredMinutes`).');

/** `additionalHours` and `additionalMinutes` were the first extend fields; kept so existing clients keep working. */
export const ExtendSessionBody = z
  .strictObject({
    ...durationFields,
    additionalHours: hoursField.optional().meta({ deprecated: true, description: 'Deprecated: use duration or durationHours' }),
    additionalMinutes: z.number().int().min(1).max(MAX_MINUTES).optional().meta({ deprecated: true, description: 'Deprecated: use duration' }),
  })
  .refine((b) => [b.duration, b.durationHours, b.additionalHours, b.additionalMinutes].filter((v) => v !== undefined).length <= 1, {
    message: 'Give one of duration, durationHours (or the deprecated additionalHours, additionalMinutes), not several.',
    path: ['duration'],
  })
  .describe('The time to add, in the same grammar as a start; any length is taken and trimmed at the session cap. Without one: 1h.');

export const ApprovalBody = z.strictObject({
  decision: z.enum(['approve', 'deny']),
  role: z.string().trim().min(1).max(200).optional().describe('The role (name or id) to decide for; omitted: every role of the request you approve for'),
  reason: z.string().trim().min(1).max(500).optional(),
});

export const EmptyBody = z.strictObject({});
export const EmptyQuery = z.strictObject({});

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'Expected a whole number.')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const ListSessionsQuery = z.strictObject({
  live: boolParam.optional().describe('Only sessions still running, waiting or ending'),
  limit: intParam(1, 200).optional().describe('1 to 200; default 100'),
});

export const AdminSessionsQuery = z.strictObject({
  state: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()))
    .pipe(z.array(z.enum(SESSION_STATES)))
    .optional()
    .describe('Comma-separated states; default: the live and ending ones'),
  limit: intParam(1, 500).optional().describe('1 to 500; default 500'),
});

export const ApiKeysQuery = z.strictObject({
  all: boolParam.optional().describe('Also expired and revoked keys; default: only usable ones'),
});

export const AuditQuery = z.strictObject({
  action: z.string().max(100).optional().describe('e.g. SESSION_START'),
  actor: z.string().max(300).optional().describe('Exact actor label, e.g. an email'),
  targetId: z.string().max(100).optional(),
  result: z.enum(['SUCCESS', 'DENIED', 'FAILURE']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page: intParam(0, 100_000).optional().describe('0-based; default 0'),
  size: intParam(1, 200).optional().describe('Default 50, at most 200'),
});
