import { parseDurationMinutes } from '../../shared/duration.ts';

/** What a chat command asked for (Slack's `/entryguard <text>`, a message to the Teams bot), or why it could not be understood. */
export type ChatCommand =
  | { kind: 'start'; minutes: number | undefined; reason: string | undefined }
  | { kind: 'stop'; target: string | undefined }
  | { kind: 'extend'; target: string | undefined; minutes: number | undefined }
  | { kind: 'status' }
  | { kind: 'check'; target: string | undefined }
  | { kind: 'resources' }
  | { kind: 'help' }
  | { kind: 'sessions' }
  | { kind: 'approvals-here'; role: string }
  | { kind: 'invalid'; about: 'start' | 'extend' | 'approvals' | 'unknown'; input: string };

/**
 * The one command grammar of every chat platform; each platform only cleans its text first.
 * Pure and total: anything it cannot read becomes
 * `invalid`, which the handler answers with usage help, never with a state change.
 * `extend` takes an optional session id and an optional duration in either order; a bare
 * number there is hours, as in `extend 2`.
 */
export function parseChatCommand(text: string): ChatCommand {
  const input = text.trim();
  const [sub = 'help', ...args] = input.split(/\s+/).filter(Boolean);
  switch (sub.toLowerCase()) {
    case 'start':
      return parseStart(args, input);
    case 'stop':
      return args.length <= 1 ? { kind: 'stop', target: args[0]?.toLowerCase() } : { kind: 'invalid', about: 'unknown', input };
    case 'extend':
      return parseExtend(args, input);
    case 'status':
      return { kind: 'status' };
    case 'check':
      return args.length === 0 ? { kind: 'check', target: undefined } : args.length === 1 && /^[0-9a-f-]{4,36}$/i.test(args[0]!) ? { kind: 'check', target: args[0]!.toLowerCase() } : { kind: 'invalid', about: 'unknown', input };
    case 'resources':
      return { kind: 'resources' };
    case 'help':
      return { kind: 'help' };
    case 'sessions':
      return { kind: 'sessions' };
    case 'approvals':
      return args[0]?.toLowerCase() === 'here' && args.length === 2 ? { kind: 'approvals-here', role: args[1]! } : { kind: 'invalid', about: 'approvals', input };
    default:
      return { kind: 'invalid', about: 'unknown', input };
  }
}

/**
 * `start [duration [reason…]]`: the reason follows a duration (`start 2h fixing INC-123`). A first
 * word that is no duration is invalid rather than guessed to be a reason: `start forever` or
 * `start 2x` is a mistyped duration, answered with the durations on offer.
 */
function parseStart(args: string[], input: string): ChatCommand {
  const [first, ...rest] = args;
  if (first === undefined) return { kind: 'start', minutes: undefined, reason: undefined };
  const minutes = parseDurationMinutes(first);
  return minutes ? { kind: 'start', minutes, reason: rest.join(' ') || undefined } : { kind: 'invalid', about: 'start', input };
}

function parseExtend(args: string[], input: string): ChatCommand {
  if (args.length > 2) return { kind: 'invalid', about: 'extend', input };
  let target: string | undefined;
  let minutes: number | undefined;
  for (const arg of args) {
    // A session id (or its 8-character prefix) is 4+ hex characters; durations are shorter
    // ("2", "24") or carry a unit ("90m"), so the id test goes first.
    const m = parseDurationMinutes(arg);
    if (/^[0-9a-f-]{4,36}$/i.test(arg) && target === undefined) target = arg.toLowerCase();
    else if (m !== undefined && minutes === undefined) minutes = m;
    else return { kind: 'invalid', about: 'extend', input };
  }
  return { kind: 'extend', target, minutes };
}
