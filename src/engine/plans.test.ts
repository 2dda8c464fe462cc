import { describe, expect, it } from 'vitest';
import { effectiveMaxMinutes, offeredDurations, planLimits } from './plans.ts';

describe('plans', () => {
  it('caps by the smallest of plan, org and roles; a role never raises the plan', () => {
    expect(effectiveMaxMinutes('free', {}, [])).toBe(240);
    expect(effectiveMaxMinutes('free', {}, [24])).toBe(240);
    expect(effectiveMaxMinutes('team', {}, [8, null, 12])).toBe(480);
    expect(effectiveMaxMinutes('team', { maxSessionHours: 2 }, [8])).toBe(120);
    expect(effectiveMaxMinutes('business', {}, [null])).toBe(24 * 60);
  });

  it('offers the plan durations up to the cap', () => {
    expect(offeredDurations(planLimits('free', {}), 240)).toEqual([60, 120, 240]);
    expect(offeredDurations(planLimits('starter', {}), 8 * 60)).toEqual([60, 120, 240, 480]);
    expect(offeredDurations(planLimits('team', { durationsHours: [0.5, 1] }), 60)).toEqual([30, 60]);
  });

  it('limits concurrency per plan, overridable per org', () => {
    expect(planLimits('free', {}).maxConcurrentSessions).toBe(1);
    expect(planLimits('starter', {}).maxConcurrentSessions).toBe(3);
    expect(planLimits('team', {}).maxConcurrentSessions).toBeNull();
    expect(planLimits('team', { maxConcurrentSessions: 2 }).maxConcurrentSessions).toBe(2);
  });
});
