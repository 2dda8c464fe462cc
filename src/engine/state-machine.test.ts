import { describe, expect, it } from 'vitest';
import { SESSION_STATES } from '../db/schema/index.ts';
import { canExtend, canStop, endingComplete, ruleStateOnEnd, stateFromRules } from './state-machine.ts';

describe('state machine', () => {
  it('allows stop only from AWAITING_APPROVAL, PENDING, ACTIVE, PARTIAL', () => {
    expect(SESSION_STATES.filter(canStop)).toEqual(['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL']);
  });

  it('allows extend only from ACTIVE and PARTIAL', () => {
    expect(SESSION_STATES.filter(canExtend)).toEqual(['ACTIVE', 'PARTIAL']);
  });

  it('derives ACTIVE / PARTIAL / FAILED from settled rules and waits while any is pending', () => {
    expect(stateFromRules('PENDING', ['APPLIED', 'APPLIED'])).toBe('ACTIVE');
    expect(stateFromRules('PENDING', ['APPLIED', 'FAILED'])).toBe('PARTIAL');
    expect(stateFromRules('PENDING', ['FAILED', 'FAILED'])).toBe('FAILED');
    expect(stateFromRules('PENDING', ['APPLIED', 'PENDING'])).toBe('PENDING');
    expect(stateFromRules('PARTIAL', ['APPLIED', 'APPLIED'])).toBe('ACTIVE');
    expect(stateFromRules('ACTIVE', ['APPLIED', 'PENDING'])).toBe('ACTIVE');
  });

  it('ignores the rules of an address the session let go (a move): they are not failures', () => {
    expect(stateFromRules('ACTIVE', ['APPLIED', 'REMOVING'])).toBe('ACTIVE');
    expect(stateFromRules('ACTIVE', ['APPLIED', 'REMOVED'])).toBe('ACTIVE');
    expect(stateFromRules('ACTIVE', ['PENDING', 'REMOVING'])).toBe('ACTIVE');
    expect(stateFromRules('PARTIAL', ['APPLIED', 'FAILED', 'REMOVED'])).toBe('PARTIAL');
  });

  it('never moves a session that does not hold access', () => {
    for (const s of ['AWAITING_APPROVAL', 'EXPIRING', 'EXPIRED', 'CANCELLED', 'DENIED', 'FAILED'] as const) {
      expect(stateFromRules(s, ['APPLIED'])).toBe(s);
    }
  });

  it('ends an EXPIRING session only when every rule is released', () => {
    expect(endingComplete(['REMOVED', 'REMOVED'])).toBe(true);
    expect(endingComplete(['REMOVED', 'REMOVING'])).toBe(false);
    expect(ruleStateOnEnd('APPLIED')).toBe('REMOVING');
    expect(ruleStateOnEnd('PENDING')).toBe('REMOVING');
    expect(ruleStateOnEnd('FAILED')).toBe('REMOVED');
  });
});
