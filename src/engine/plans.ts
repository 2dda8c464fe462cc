import type { OrgSettings } from '../db/schema/index.ts';
import { formatChoices, formatMinutes } from '../shared/duration.ts';

export type PlanName = 'free' | 'starter' | 'team' | 'business';

export interface PlanLimits {
  /** Durations a user may pick, in hours. */
  durationsHours: readonly number[];
  /** Live sessions per user; null = unlimited. */
  maxConcurrentSessions: number | null;
  /** Resources per organization; null = unlimited. */
  maxResources: number | null;
}

const PAID_DURATIONS = [1, 2, 4, 8, 12, 16, 24] as const;

/** The plan table (docs/architecture.md §2); organizations may tighten or override it in their settings. */
export const PLANS: Record<PlanName, PlanLimits> = {
  free: { durationsHours: [1, 2, 4], maxConcurrentSessions: 1, maxResources: 3 },
  starter: { durationsHours: PAID_DURATIONS, maxConcurrentSessions: 3, maxResources: null },
  team: { durationsHours: PAID_DURATIONS, maxConcurrentSessions: null, maxResources: null },
  business: { durationsHours: PAID_DURATIONS, maxConcurrentSessions: null, maxResources: null },
};

export function planLimits(plan: PlanName, settings: OrgSettings): PlanLimits {
  const base = PLANS[plan];
  return {
    durationsHours: settings.durationsHours ?? base.durationsHours,
    maxConcurrentSessions:
      settings.maxConcurrentSessions !== undefined ? settings.maxConcurrentSessions : base.maxConcurrentSessions,
    maxResources: settings.maxResources !== undefined ? settings.maxResources : base.maxResources,
  };
}

/**
 * The longest total session (extensions included), in minutes: the smallest of the plan's
 * longest duration, the org's maximum and every role cap. A role never raises the plan.
 */
export function effectiveMaxMinutes(plan: PlanName, settings: OrgSettings, roleCapsHours: (number | null)[]): number {
  const caps = [Math.max(...PLANS[plan].durationsHours), ...roleCapsHours.filter((c): c is number => c !== null)];
  if (settings.maxSessionHours !== undefined) caps.push(settings.maxSessionHours);
  return Math.round(Math.min(...caps) * 60);
}

/** Durations (minutes) this user may pick right now: those the plan offers, up to their cap. */
export function offeredDurations(limits: PlanLimits, maxMinutes: number): number[] {
  return limits.durationsHours.map((h) => Math.round(h * 60)).filter((m) => m <= maxMinutes);
}

/**
 * The durations a person may start, as every refusal, usage and help text words them: built from
 * what their plan, org and roles offer (`offeredMinutes`), never from a fixed example, so no
 * message suggests a duration that is then refused. "none" when nothing is offered.
 */
export function durationChoices(offeredMinutes: readonly number[]): string {
  return offeredMinutes.map(formatMinutes).join(', ') || 'none';
}

/** The sentence that answers a start with a duration it may not have (API and chat alike): "8h is not offered on your plan; choose 1h, 2h or 4h." */
export function startDurationHint(offeredMinutes: readonly number[], requested?: number): string {
  if (offeredMinutes.length === 0) return 'No session duration is available to you; ask an admin.';
  if (requested === undefined) return `Choose a duration: ${formatChoices(offeredMinutes)}.`;
  return `${formatMinutes(requested)} is not offered on your plan; choose ${formatChoices(offeredMinutes)}.`;
}
