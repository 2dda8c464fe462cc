import { parseDurationMinutes } from '../../shared/duration.ts';

/** What a message to the bot asked for, or why it could not be understood. */
export type TeamsCommand =
  | { kind: 'start'; minutes: number | undefined }
  | { kind: 'stop'; target: string | undefined }
  | { kind: 'extend'; target: string | undefined; minutes: number | undefined }
  | { kind: 'status' }
  | { kind: 'resources' }
  | { kind: 'help' }
  | { kind: 'sessions' }
  | { kind: 'approvals-here'; role: string }
  | { kind: 'invalid'; about: 'start' | 'extend' | 'approvals' | 'unknown'; input: string };

/**
 * Parses a message (the @mention already removed). Pure and total: anything unreadable is
 * `invalid`, answered with usage help and never a state change. Same grammar as the Slack
 * command; `extend` takes an optional id and duration in either order, a bare number is hours.
 */
export function parseTeamsCommand(text: string): TeamsCommand {
  // Teams may leave HTML entities and a leading slash (command menu) in the text.
  const input = text.replace(/&nbsp;/g, ' ').replace(/^\//, '').trim();
  const [sub = 'help', ...args] = input.split(/\s+/).filter(Boolean);
  switch (sub.toLowerCase()) {
    case 'start': {
      if (args.length === 0) return { kind: 'start', minutes: undefined };
      const minutes = args.length === 1 ? parseDurationMinutes(args[0]!) : undefined;
      return minutes ? { kind: 'start', minutes } : { kind: 'invalid', about: 'start', input };
    }
    case 'stop':
      return args.length <= 1 ? { kind: 'stop', target: args[0]?.toLowerCase() } : { kind: 'invalid', about: 'unknown', input };
    case 'extend':
      return parseExtend(args, input);
    case 'status':
      return { kind: 'status' };
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

function parseExtend(args: string[], input: string): TeamsCommand {
  if (args.length > 2) return { kind: 'invalid', about: 'extend', input };
  let target: string | undefined;
  let minutes: number | undefined;
  for (const arg of args) {
    // Ids are 4+ hex characters; durations are shorter ("2") or carry a unit ("90m").
    const m = parseDurationMinutes(arg);
    if (/^[0-9a-f-]{4,36}$/i.test(arg) && target === undefined) target = arg.toLowerCase();
    else if (m !== undefined && minutes === undefined) minutes = m;
    else return { kind: 'invalid', about: 'extend', input };
  }
  return { kind: 'extend', target, minutes };
}
