import { describe, expect, it } from 'vitest';
import { parseTeamsCommand } from './command-parse.ts';

describe('parseTeamsCommand', () => {
  it('reads every command', () => {
    expect(parseTeamsCommand('start')).toEqual({ kind: 'start', minutes: undefined });
    expect(parseTeamsCommand('start 2h')).toEqual({ kind: 'start', minutes: 120 });
    expect(parseTeamsCommand('Start 90m')).toEqual({ kind: 'start', minutes: 90 });
    expect(parseTeamsCommand('stop')).toEqual({ kind: 'stop', target: undefined });
    expect(parseTeamsCommand('stop all')).toEqual({ kind: 'stop', target: 'all' });
    expect(parseTeamsCommand('stop 1A2B3C4D')).toEqual({ kind: 'stop', target: '1a2b3c4d' });
    expect(parseTeamsCommand('extend')).toEqual({ kind: 'extend', target: undefined, minutes: undefined });
    expect(parseTeamsCommand('extend 2')).toEqual({ kind: 'extend', target: undefined, minutes: 120 });
    expect(parseTeamsCommand('extend 1a2b3c4d 2')).toEqual({ kind: 'extend', target: '1a2b3c4d', minutes: 120 });
    expect(parseTeamsCommand('status')).toEqual({ kind: 'status' });
    expect(parseTeamsCommand('resources')).toEqual({ kind: 'resources' });
    expect(parseTeamsCommand('help')).toEqual({ kind: 'help' });
    expect(parseTeamsCommand('')).toEqual({ kind: 'help' });
    expect(parseTeamsCommand('sessions')).toEqual({ kind: 'sessions' });
    expect(parseTeamsCommand('approvals here prod')).toEqual({ kind: 'approvals-here', role: 'prod' });
  });

  it('tolerates what Teams leaves in the text (non-breaking spaces, a slash from the command menu)', () => {
    expect(parseTeamsCommand('&nbsp;start&nbsp;2h ')).toEqual({ kind: 'start', minutes: 120 });
    expect(parseTeamsCommand('/status')).toEqual({ kind: 'status' });
  });

  it('reads a reason after the duration (issue 11, point 3), capped and on one line', () => {
    expect(parseTeamsCommand('start 2h fixing INC-123')).toEqual({ kind: 'start', minutes: 120, reason: 'fixing INC-123' });
    expect(parseTeamsCommand('start 90m  deploy\n hotfix ')).toEqual({ kind: 'start', minutes: 90, reason: 'deploy hotfix' });
    expect((parseTeamsCommand(`start 1h ${'x'.repeat(900)}`) as { reason: string }).reason).toHaveLength(500);
    expect(parseTeamsCommand('start forever and ever')).toMatchObject({ kind: 'invalid', about: 'start' });
  });

  it('never guesses: anything else is invalid', () => {
    expect(parseTeamsCommand('start forever')).toMatchObject({ kind: 'invalid', about: 'start' });
    expect(parseTeamsCommand('extend a b c')).toMatchObject({ kind: 'invalid', about: 'extend' });
    expect(parseTeamsCommand('approvals here')).toMatchObject({ kind: 'invalid', about: 'approvals' });
    expect(parseTeamsCommand('open sesame')).toMatchObject({ kind: 'invalid', about: 'unknown' });
  });
});
