import { parseChatCommand, type ChatCommand } from '../shared/command-parse.ts';

/**
 * A message to the bot (the @mention already removed), read with the one chat grammar. Teams may
 * leave HTML entities and a leading slash (from its command menu) in the text.
 */
export function parseTeamsCommand(text: string): ChatCommand {
  return parseChatCommand(text.replace(/&nbsp;/g, ' ').replace(/^\//, ''));
}
