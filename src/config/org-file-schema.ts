import { z } from 'zod';
import { reservedRefProblem } from './reserved-refs.ts';

/**
 * The organization file (`entryguard config apply FILE`): organizations with their users, roles,
 * resources, credential *references* and chat bindings, so access policy can live in git.
 * Objects are strict: a misspelt key is an error, not a silently ignored setting.
 * Cross-references (members, approvers, credentials …) are checked in org-file-refs.ts.
 */

const PLANS = ['free', 'starter', 'team', 'business'] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names of credentials, resources and roles: people type them in chat, so keep them plain. */
export const EntityName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const Email = z
  .email({ error: 'must be an email address' })
  .transform((e) => e.toLowerCase());

const Guid = (what: string) =>
  z
    .string()
    .regex(GUID, `must be ${what} (a GUID like 00000000-0000-0000-0000-000000000000)`)
    .transform((s) => s.toLowerCase());

const Hours = z.number().positive('must be more than 0').max(24, 'must be at most 24 (the longest session any plan offers)');

export const OrgSettingsSpec = z
  .strictObject({
    maxSessionHours: Hours.optional(),
    defaultDurationHours: Hours.optional(),
    /** null = unlimited (team and business plans). */
    maxConcurrentSessions: z.number().int().min(1, 'must be at least 1, or null for unlimited').nullable().optional(),
    maxResources: z.number().int().min(0).nullable().optional(),
    /** Starts, stops and extensions one person may make per minute (a burst of that many, then refilled evenly). */
    actionsPerMinute: z.number().int().min(1, 'must be at least 1').max(600, 'must be at most 600').optional(),
    /** How many addresses one session may hold at once (the access check's "Add this address"). */
    maxAddressesPerSession: z.number().int().min(1, 'must be at least 1').max(10, 'must be at most 10').optional(),
    /** `chat: { channelCards: true }`: a session started in a channel posts its card (email, address) there; by default it goes to the person privately. */
    chat: z.strictObject({ channelCards: z.boolean().default(false) }).optional(),
    durationsHours: z
      .array(Hours)
      .min(1, 'list at least one duration')
      .refine((a) => new Set(a).size === a.length, 'must not repeat a duration')
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.defaultDurationHours !== undefined && s.durationsHours && !s.durationsHours.includes(s.defaultDurationHours)) {
      ctx.addIssue({ code: 'custom', path: ['defaultDurationHours'], message: 'must be one of durationsHours' });
    }
    if (s.defaultDurationHours !== undefined && s.maxSessionHours !== undefined && s.defaultDurationHours > s.maxSessionHours) {
      ctx.addIssue({ code: 'custom', path: ['defaultDurationHours'], message: 'must not exceed maxSessionHours' });
    }
  });
export type OrgSettingsSpec = z.output<typeof OrgSettingsSpec>;

/**
 * `env:NAME` (an environment variable of the EntryGuard process), `file:PATH` (a file it can
 * read) or `default` (the cloud's default credential chain). A secret itself never goes here:
 * it would end up in the database and in git.
 */
export const SecretRef = z
  .string()
  .regex(
    /^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:.+|default)$/,
    'must be env:VARIABLE, file:/path/to/file or default — put the secret itself in that variable or file, never in this file',
  )
  .superRefine((ref, ctx) => {
    const problem = reservedRefProblem(ref);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const CredentialSpec = z.strictObject({
  name: EntityName,
  /** The cloud the credential is for, e.g. aws, azure, gcp. */
  provider: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case provider name such as aws, azure or gcp'),
  ref: SecretRef,
  /** Non-secret settings such as roleArn / externalId / tenantId; secret-looking keys are refused. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type CredentialSpec = z.output<typeof CredentialSpec>;

const PortNumber = z.number().int().min(0, 'must be a port number 0–65535').max(65535, 'must be a port number 0–65535');

/** tcp/udp take a port or a range (`to` defaults to `from`); icmp and all take none. */
export const PortSpec = z
  .strictObject({ protocol: z.enum(['tcp', 'udp', 'icmp', 'all']), from: PortNumber.optional(), to: PortNumber.optional() })
  .superRefine((p, ctx) => {
    const ranged = p.protocol === 'tcp' || p.protocol === 'udp';
    if (ranged && p.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: `${p.protocol} needs a port: set from (and to for a range)` });
    if (!ranged && (p.from !== undefined || p.to !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: `${p.protocol} takes no port numbers: remove from/to` });
    }
    if (ranged && p.from !== undefined && p.to !== undefined && p.to < p.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be below from' });
  })
  .transform((p) =>
    p.protocol === 'tcp' || p.protocol === 'udp' ? { protocol: p.protocol, from: p.from!, to: p.to ?? p.from! } : { protocol: p.protocol },
  );
export type PortSpec = z.output<typeof PortSpec>;

export const ResourceSpec = z.strictObject({
  name: EntityName,
  /** A provider kind (aws-security-group, azure-nsg, gcp-firewall, script …), checked against the registry. */
  kind: z.string().min(1, 'must name a provider kind'),
  identifier: z.string().min(1, 'must identify the firewall (security group id, NSG name, rule name …)'),
  region: z.string().min(1).optional(),
  ports: z.array(PortSpec).default([]),
  credential: EntityName.optional(),
  /** Provider-specific; the provider validates it when it runs. Secret-looking keys are refused. */
  config: z.record(z.string(), z.unknown()).default({}),
  active: z.boolean().default(true),
});
export type ResourceSpec = z.output<typeof ResourceSpec>;

export const UserSpec = z.strictObject({
  email: Email,
  name: z.string().min(1).optional(),
  admin: z.boolean().default(false),
  /** A disabled user cannot start sessions; applying ends their live ones. */
  disabled: z.boolean().default(false),
  /** Slack user id (U… or W…), for when the Slack email differs or is hidden. */
  slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U0123ABCD').optional(),
  /** Teams: the user's Azure AD object id. */
  teams: Guid('an Azure AD object id').optional(),
  /** Resources granted directly, besides those of the user's roles. */
  resources: z.array(EntityName).default([]),
});
export type UserSpec = z.output<typeof UserSpec>;

export const ApprovalSpec = z.strictObject({
  approvers: z.array(Email).min(1, 'name at least one approver'),
  /**
   * Where approval requests are posted (a Slack channel id, a Teams channel id). A platform left
   * out keeps the channel chosen in chat; `null` clears it.
   */
  channels: z
    .strictObject({
      slack: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id like C0123ABCD (not #name), or null for none').nullable().optional(),
      teams: z.string().regex(/^19:.+@thread\.[a-z0-9]+$/, 'must be a Teams channel id like 19:abc@thread.tacv2, or null for none').nullable().optional(),
    })
    .default({}),
  timeoutMinutes: z.number().int().min(1, 'must be at least 1 minute').max(1440, 'must be at most 1440 (a day)').default(30),
  /** A session this role approved may follow its owner to a new address (the access check) without asking again. */
  allowAddressChange: z.boolean().default(false),
});
export type ApprovalSpec = z.output<typeof ApprovalSpec>;

/**
 * `claim: { confirmInChat: true }`: a claim link confirmed in a browser only captures the address;
 * nothing opens until the requester presses "Open for <address>" in chat, so a link that reached
 * someone else opens nothing for them.
 */
export const ClaimSpec = z.strictObject({ confirmInChat: z.boolean().default(false) });

export const RoleSpec = z.strictObject({
  name: EntityName,
  /** Caps sessions of members; never raises the plan's maximum. */
  maxSessionDurationHours: z.number().int('must be a whole number of hours').min(1).max(24, 'must be at most 24').optional(),
  members: z.array(Email).default([]),
  resources: z.array(EntityName).default([]),
  approval: ApprovalSpec.optional(),
  claim: ClaimSpec.optional(),
  /** Members must say why they start a session (`start 2h fixing INC-123`, the form's reason field). */
  requireReason: z.boolean().default(false),
});
export type RoleSpec = z.output<typeof RoleSpec>;

export const OrgSpec = z
  .strictObject({
    slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes, like "acme"'),
    name: z.string().min(1, 'must not be empty'),
    plan: z.enum(PLANS, { error: `must be one of ${PLANS.join(', ')}` }),
    settings: OrgSettingsSpec.default({}),
    slack: z.strictObject({ teamIds: z.array(z.string().regex(/^[TE][A-Z0-9]{2,}$/, 'must be a Slack team id like T0123ABCD')).default([]) }).default({ teamIds: [] }),
    teams: z.strictObject({ tenantIds: z.array(Guid('a Microsoft Entra tenant id')).default([]) }).default({ tenantIds: [] }),
    credentials: z.array(CredentialSpec).default([]),
    resources: z.array(ResourceSpec).default([]),
    users: z.array(UserSpec).default([]),
    roles: z.array(RoleSpec).default([]),
    claim: ClaimSpec.optional(),
  })
  // Stored with the other settings of the organization.
  .transform(({ claim, ...org }) => (claim ? { ...org, settings: { ...org.settings, claim } } : org));
export type OrgSpec = z.output<typeof OrgSpec>;

export const OrgFile = z.strictObject({ organizations: z.array(OrgSpec) });
export type OrgFile = z.output<typeof OrgFile>;
