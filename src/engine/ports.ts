/**
 * The engine's ports: the only shapes adapters implement or call. Nothing here knows an SDK.
 */
import type { PortRange } from '../db/schema/index.ts';
import type { DbOrTx } from '../db/client.ts';

export type { PortRange };

/** How a provider reaches its cloud account; the secret itself is resolved by a SecretResolver. */
export interface CredentialRef {
  name: string;
  provider: string;
  /** `env:NAME`, `file:PATH`, or `default` (the platform's default credential chain). */
  secretRef: string;
  options: Record<string, unknown>;
}

/** One firewall target, as a provider sees it. `config` is validated by the provider's own schema. */
export interface ResourceTarget {
  id: string;
  orgId: string;
  name: string;
  kind: string;
  identifier: string;
  region: string | null;
  ports: PortRange[];
  config: Record<string, unknown>;
  credential: CredentialRef | null;
}

/** A CIDR we manage at the provider, with the provider's id for it when it has one. */
export interface ProviderEntry {
  cidr: string;
  ruleId?: string | undefined;
  /** False when a rule EntryGuard keeps for this CIDR is missing or altered: one of the configured
   *  protocol × port ranges absent (or its rule changed), or the managed Azure/GCP rule carrying it
   *  no longer has the content EntryGuard writes (ports, protocol, direction, access, priority,
   *  target …). Absent = true. */
  intact?: boolean | undefined;
  /** What is wrong, in plain words for the audit, e.g. ["tcp/443 missing"], ["rule eg-…-udp-v4 lacks this source"]. */
  problems?: string[] | undefined;
}

/** A failure the provider mapped from its SDK: `retryable` decides between backoff and failing the rule. */
export class ProviderError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.code = code;
    this.retryable = opts.retryable;
  }
}

export type CidrOutcome = { ok: true; ruleId?: string | undefined } | { ok: false; error: ProviderError };

export interface ChangeSet {
  add: string[];
  remove: string[];
  /** CIDRs present but not intact: make every rule for them exactly as configured again. Idempotent;
   *  outcomes are reported in ApplyResult.added. Never touches rules that are not EntryGuard's. */
  repair?: string[] | undefined;
}

export interface ApplyResult {
  /** One outcome for every CIDR of `change.add` and of `change.repair`. */
  added: Map<string, CidrOutcome>;
  /** One outcome for every CIDR of `change.remove`. Removing an absent CIDR is `ok`. */
  removed: Map<string, CidrOutcome>;
}

export interface VerifyResult {
  reachable: boolean;
  permitted: boolean;
  /** CIDRs that can still be added before a quota is hit, per IP version; null when unlimited. */
  capacityLeft: { v4: number | null; v6: number | null };
  message?: string | undefined;
}

/**
 * A firewall kind (AWS security group, Azure NSG, script …). Implementations live in
 * `cloud/<kind>/`, map every SDK error once into ProviderError and keep SDK types inside.
 */
export interface FirewallProvider {
  readonly kind: string;
  /** True when list() may return entries EntryGuard did not create (a script listing a whole
   *  allowlist). The engine then removes only CIDRs it recorded itself. False for the clouds, whose
   *  list() returns only rules tagged/named as ours. */
  readonly listsForeignEntries: boolean;
  /** Whether the target exists, our credentials may change it, and how much room is left. Never throws for
   *  an unreachable or forbidden target: that is the answer. */
  verify(resource: ResourceTarget): Promise<VerifyResult>;
  /** The entries *we* manage there (marked as ours), or `undefined` when this kind cannot list
   *  (then reconciliation trusts the database). Throws ProviderError. */
  list(resource: ResourceTarget): Promise<ProviderEntry[] | undefined>;
  /** Adds and removes CIDRs in as few calls as the API allows. Idempotent: adding a present CIDR or removing
   *  an absent one is `ok`. Adding (like repairing) a CIDR leaves it with exactly the configured rules,
   *  completing one whose rules partly exist. Per-CIDR failures are outcomes; a failure of the whole call
   *  may be thrown as a ProviderError and then applies to every CIDR. */
  apply(resource: ResourceTarget, change: ChangeSet): Promise<ApplyResult>;
  /** Gets ready to serve these targets — clients built, signed in, first connection open — with
   *  reads only, so the first sync after a (re)start is as quick as the next ones. Optional (a
   *  script has nothing to prepare); never throws: a target it cannot reach now is tried by the sync. */
  warmUp?(resources: ResourceTarget[]): Promise<void>;
}

/** Kind → provider, created on first use (SDKs are large and slow to import). */
export interface ProviderRegistry {
  get(kind: string): Promise<FirewallProvider>;
  kinds(): readonly string[];
}

/** Reads a secret named by a reference (`env:NAME`, `file:PATH`); implemented in main/. */
export interface SecretResolver {
  resolve(ref: string): Promise<string | undefined>;
}

/**
 * Background work, added inside the caller's transaction so a state change and the job that
 * follows it commit together. Implemented with graphile-worker in jobs/.
 */
export interface JobQueue {
  /** Converge resources on their desired sets; deduplicated per resource, one at a time per resource.
   *  One round trip for any number of resources. */
  syncResources(tx: DbOrTx, resourceIds: readonly string[], opts?: { runAt?: Date; attempt?: number }): Promise<void>;
  /** Compare one resource with what the cloud really holds and repair drift both ways. */
  reconcileResource(tx: DbOrTx, resourceId: string): Promise<void>;
  /** Checks that a resource is reachable and changeable (after a config change, and periodically). */
  verifyResource(tx: DbOrTx, resourceId: string): Promise<void>;
  /** (Re)schedules the end of a session; replaces any earlier schedule for it. */
  expireSession(tx: DbOrTx, sessionId: string, runAt: Date): Promise<void>;
  /** (Re)schedules the 10-minutes-left reminder of a session (a no-op for a time already past). */
  expiryWarning(tx: DbOrTx, sessionId: string, runAt: Date): Promise<void>;
  /** (Re)schedules the timeout of a pending approval. */
  approvalTimeout(tx: DbOrTx, sessionId: string, runAt: Date): Promise<void>;
  /** Tells chat about a change of a session (card update, threaded replies); deduplicated per session. */
  notifySession(tx: DbOrTx, sessionId: string, event: SessionEvent): Promise<void>;
}

export type SessionEvent =
  | 'requested'
  | 'approval_requested'
  | 'approved'
  | 'denied'
  | 'started'
  | 'state_changed'
  | 'extended'
  | 'expiry_warning'
  | 'ended';

/**
 * A chat platform's outgoing side (implemented in chat/<platform>/): keeps the session card, its
 * thread and approval cards in step with the session. Called by the notify_session job, one
 * session at a time in order; a thrown error makes the job retry with backoff, so a platform
 * outage delays an update but never loses it.
 */
export interface ChatNotifier {
  // A notifier may throw ChatRetryLater when the platform says when to come back (HTTP 429).
  readonly platform: 'slack' | 'teams';
  /** Brings chat up to date after `event`. Renders the session's *current* state, so a repeated or
   *  late call is harmless; must not post the same threaded reply twice for one event. */
  notify(sessionId: string, event: SessionEvent): Promise<void>;
}

/**
 * The chat platform answered "too many requests, come back in N seconds" (HTTP 429 with
 * Retry-After). notify_session then runs again after exactly that long, instead of on its usual
 * backoff, which would be either too eager (and be refused again) or needlessly slow.
 */
export class ChatRetryLater extends Error {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ChatRetryLater';
    this.retryAfterMs = retryAfterMs;
  }
}
