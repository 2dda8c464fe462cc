import { parseDurationMinutes } from '../../shared/duration.ts';
import { parseChatCommand, type ChatCommand } from '../shared/command-parse.ts';
import { cap } from './escape.ts';
import { TEAMS_LIMITS } from './limits.ts';

/** A chat command; `start` may carry the reason typed after its duration (`start 2h fixing INC-123`). */
export type TeamsCommand = Exclude<ChatCommand, { kind: 'start' }> | { kind: 'start'; minutes: number | undefined; reason?: string };

/**
 * A message to the bot (the @mention already removed), read with the one chat grammar. Teams may
 * leave HTML entities and a leading slash (from its command menu) in the text. The words after a
 * start's duration are its reason (the shared grammar does not read them yet).
 */
export function parseTeamsCommand(text: string): TeamsCommand {
  const clean = text.replace(/&nbsp;/g, ' ').replace(/^\//, '');
  const m = /^\s*start\s+(\S+)\s+([\s\S]+)$/i.exec(clean);
  const minutes = m ? parseDurationMinutes(m[1]!) : undefined;
  if (m && minutes !== undefined) return { kind: 'start', minutes, reason: cap(m[2]!.replace(/\s+/g, ' ').trim(), TEAMS_LIMITS.reason) };
  return parseChatCommand(clean);
}
