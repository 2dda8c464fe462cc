import type { RuleState, SessionState } from '../db/schema/index.ts';

/**
 * The session state machine (docs/architecture.md §2), as pure functions. Use cases consult these before
 * every change so the rules live in one place.
 */
/** Waiting or running: counted against the concurrency limit, and stoppable. */
export const LIVE_STATES: readonly SessionState[] = ['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL'];
/** Waiting before anything is opened: ending one releases nothing. */
export const WAITING_STATES: readonly SessionState[] = ['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL'];
/** States whose rules are wanted in the cloud. */
export const HOLDING_STATES: readonly SessionState[] = ['PENDING', 'ACTIVE', 'PARTIAL'];
export const ENDED_STATES: readonly SessionState[] = ['FAILED', 'EXPIRED', 'CANCELLED', 'DENIED'];

export const isLive = (s: SessionState) => LIVE_STATES.includes(s);
export const isHolding = (s: SessionState) => HOLDING_STATES.includes(s);
export const canStop = (s: SessionState) => LIVE_STATES.includes(s);
export const canExtend = (s: SessionState) => s === 'ACTIVE' || s === 'PARTIAL';
export const isEndedOrEnding = (s: SessionState) => s === 'EXPIRING' || ENDED_STATES.includes(s);

/**
 * A holding session's state from its rules once none is PENDING: all applied → ACTIVE,
 * some → PARTIAL, none → FAILED. While rules are still pending the state does not move. Rules
 * being released (REMOVING, REMOVED) belong to an address the session let go (a move) and count
 * for nothing.
 */
export function stateFromRules(current: SessionState, all: readonly RuleState[]): SessionState {
  const rules = all.filter((r) => r !== 'REMOVING' && r !== 'REMOVED');
  if (!isHolding(current) || rules.includes('PENDING')) return current;
  const applied = rules.filter((r) => r === 'APPLIED').length;
  if (applied === rules.length && applied > 0) return 'ACTIVE';
  if (applied > 0) return 'PARTIAL';
  return 'FAILED';
}

/** An ending session is over once every rule is released. */
export function endingComplete(rules: readonly RuleState[]): boolean {
  return rules.every((r) => r === 'REMOVED' || r === 'FAILED');
}

/** Where a session's rules go when it starts ending: applied or pending ones must be released. */
export function ruleStateOnEnd(r: RuleState): RuleState {
  return r === 'PENDING' || r === 'APPLIED' || r === 'REMOVING' ? 'REMOVING' : 'REMOVED';
}
