import { describe, expect, it } from 'vitest';
import { parseChatCommand as parseSlackCommand } from '../../../src/chat/shared/command-parse.ts';

describe('parseSlackCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['start', { kind: 'start', minutes: undefined, reason: undefined }],
    ['start 2h', { kind: 'start', minutes: 120, reason: undefined }],
    ['START 90m', { kind: 'start', minutes: 90, reason: undefined }],
    ['start 2', { kind: 'start', minutes: 120, reason: undefined }],
    ['start 1h30m', { kind: 'start', minutes: 90, reason: undefined }],
    ['start 2h fixing   INC-123', { kind: 'start', minutes: 120, reason: 'fixing INC-123' }],
    ['start 2h extra', { kind: 'start', minutes: 120, reason: 'extra' }],
    ['stop', { kind: 'stop', target: undefined }],
    ['stop all', { kind: 'stop', target: 'all' }],
    ['stop 1a2b3c4d', { kind: 'stop', target: '1a2b3c4d' }],
    ['extend', { kind: 'extend', target: undefined, minutes: undefined }],
    ['extend 2', { kind: 'extend', target: undefined, minutes: 120 }],
    ['extend 1a2b3c4d 30m', { kind: 'extend', target: '1a2b3c4d', minutes: 30 }],
    ['extend 2h 1A2B3C4D', { kind: 'extend', target: '1a2b3c4d', minutes: 120 }],
    ['  status  ', { kind: 'status' }],
    ['resources', { kind: 'resources' }],
    ['sessions', { kind: 'sessions' }],
    ['approvals here prod-admins', { kind: 'approvals-here', role: 'prod-admins' }],
  ])('%j', (text, expected) => {
    expect(parseSlackCommand(text)).toEqual(expected);
  });

  it.each(['start 0', 'start -1h', 'start 2x', 'start 2x because', 'start fixing INC-123', 'extend 2h 3h', 'extend a b c', 'approvals', 'approvals here', 'open sesame', 'stop a b'])(
    '%j is invalid',
    (text) => {
      expect(parseSlackCommand(text).kind).toBe('invalid');
    },
  );
});
