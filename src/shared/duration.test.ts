import { describe, expect, it } from 'vitest';
import { formatMinutes, parseDurationMinutes } from './duration.ts';

describe('durations', () => {
  it('parses what people type', () => {
    expect(parseDurationMinutes('2h')).toBe(120);
    expect(parseDurationMinutes('90m')).toBe(90);
    expect(parseDurationMinutes('1h30m')).toBe(90);
    expect(parseDurationMinutes('2')).toBe(120);
    expect(parseDurationMinutes('1.5')).toBe(90);
    for (const bad of ['', 'h', '-1', '0', 'two hours', '2d', '1.0001']) expect(parseDurationMinutes(bad)).toBeUndefined();
  });

  it('formats minutes back', () => {
    expect(formatMinutes(120)).toBe('2h');
    expect(formatMinutes(90)).toBe('1h30m');
    expect(formatMinutes(45)).toBe('45m');
  });
});
