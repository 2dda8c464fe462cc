import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { Logger } from '../../shared/logger.ts';
import type { SlackWebClient } from './clients.ts';

/** Tries of the response_url before the DM (issue 11, point 12), and the pause between them. */
const TRIES = 3;
const PAUSE_MS = 300;

/**
 * Sends a private answer through the response_url; when that keeps failing (Slack's hooks
 * endpoint down, the URL expired), the answer goes to the person's DM instead, so a claim link
 * is never lost. Only a DM failure too is logged and given up (nothing else could reach them).
 */
export async function deliverReply(p: { respond: RespondFn; client: SlackWebClient; userId: string; logger: Logger }, message: RespondArguments & { text: string; blocks?: unknown[] }): Promise<void> {
  let last: unknown;
  for (let i = 0; i < TRIES; i++) {
    try {
      await p.respond(message);
      return;
    } catch (err) {
      last = err;
      if (i < TRIES - 1) await new Promise((r) => setTimeout(r, PAUSE_MS * (i + 1)));
    }
  }
  p.logger.warn({ err: last }, 'slack: the response_url refused the reply; sending it as a DM');
  try {
    await p.client.chat.postMessage({ channel: p.userId, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
  } catch (err) {
    p.logger.error({ err }, 'slack: could not deliver a reply by response_url nor by DM');
  }
}
