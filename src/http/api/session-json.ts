import type { SessionView } from '../../engine/session-view.ts';
import { MINUTE_MS } from '../../shared/clock.ts';
import type { RULE_STATES, Session } from './schemas.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * The length a session has now: its clock runs from `startedAt` to `expiresAt`, which every
 * extension moves (and a stop leaves alone). Before the clock starts, the length asked for.
 */
function totalMinutes(v: SessionView): number {
  return v.startedAt && v.expiresAt ? Math.round((v.expiresAt.getTime() - v.startedAt.getTime()) / MINUTE_MS) : v.durationMinutes;
}

/**
 * The API's session shape (schemas.ts `Session`), from the engine's view. Internal ids of the
 * organization stay out; dates are ISO-8601 UTC. Every route that answers with a session uses
 * this (start, read, list, stop, extend, the admin ones), so they all have one shape.
 */
export function toSessionJson(v: SessionView): Session {
  return {
    id: v.id,
    userId: v.userId,
    userEmail: v.userEmail,
    state: v.state,
    ipv4: v.ipv4,
    ipv6: v.ipv6,
    durationMinutes: totalMinutes(v),
    requestedMinutes: v.durationMinutes,
    origin: v.origin,
    reason: v.reason ?? null,
    createdAt: v.createdAt.toISOString(),
    startedAt: iso(v.startedAt),
    expiresAt: iso(v.expiresAt),
    endedAt: iso(v.endedAt),
    endedReason: v.endedReason,
    maxExpiresAt: iso(v.capAt),
    canExtend: v.canExtend,
    approval: v.approval
      ? {
          status: v.approval.status,
          expiresAt: v.approval.expiresAt.toISOString(),
          deciderUserId: v.approval.deciderUserId,
          reason: v.approval.reason,
          waitingFor: v.approval.waitingFor,
          roles: v.approval.roles.map((r) => ({
            role: r.roleName,
            roleId: r.roleId,
            status: r.status,
            expiresAt: r.expiresAt.toISOString(),
            deciderUserId: r.deciderUserId,
            reason: r.reason,
            decidedAt: iso(r.decidedAt),
          })),
        }
      : null,
    rules: v.rules.map((r) => ({
      resourceId: r.resourceId,
      resourceName: r.resourceName,
      kind: r.kind,
      ipVersion: r.ipVersion,
      cidr: r.cidr,
      // The engine types rule states as plain strings; the values are the RULE_STATES.
      state: r.state as (typeof RULE_STATES)[number],
      error: r.error,
    })),
  };
}
