import { auditEvents, type ActorType, type AuditResult } from '../db/schema/index.ts';
import type { DbOrTx } from '../db/client.ts';

/** Who did something: a person (through chat, the API or the claim page), an API key, or the system itself. */
export interface Actor {
  type: ActorType;
  orgId: string | null;
  /** The user acting (for api_key: the key's owner). */
  userId?: string | undefined;
  apiKeyId?: string | undefined;
  /** Human-readable: an email, "api-key:<prefix>", "system:expiry". */
  label: string;
  ip?: string | undefined;
}

export const systemActor = (orgId: string | null, what: string): Actor => ({ type: 'system', orgId, label: `system:${what}` });

export interface AuditInput {
  action: string;
  result?: AuditResult;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/** Appends one audit event. Call it inside the transaction of the change it records. */
export async function recordAudit(tx: DbOrTx, actor: Actor, event: AuditInput): Promise<void> {
  await tx.insert(auditEvents).values({
    orgId: actor.orgId,
    actorType: actor.type,
    actorId: actor.apiKeyId ?? actor.userId ?? null,
    actorLabel: actor.label,
    action: event.action,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    result: event.result ?? 'SUCCESS',
    ip: actor.ip ?? null,
    details: event.details ?? {},
  });
}
