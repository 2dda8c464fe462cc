import { createCheckLink } from '../../engine/check-links.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { listMySessions } from '../../engine/session-queries.ts';
import { AppError } from '../../shared/errors.ts';
import type { ChatMe } from './find-session.ts';

/**
 * `check [id]`: a single-use link to the access check page for one of the person's own sessions
 * (the only running one, or the one whose id starts with `target`). Never someone else's, admins
 * included: the page shows the session's addresses. Errors: SESSION_NOT_FOUND, VALIDATION_FAILED.
 */
export async function checkLinkFromChat(
  engine: EngineDeps,
  me: ChatMe,
  target: string | undefined,
  opts: { publicUrl: string; ttlSeconds: number; showId: (id: string) => string },
): Promise<{ url: string; expiresAt: Date }> {
  let sessionId: string | undefined;
  if (target !== undefined) {
    const hits = (await listMySessions(engine, me.actor, { live: true })).filter((v) => v.id.startsWith(target));
    if (hits.length === 0) throw new AppError('SESSION_NOT_FOUND', `You have no running session ${opts.showId(target)}.`);
    if (hits.length > 1) throw new AppError('VALIDATION_FAILED', `Which one? Say the id: ${hits.map((v) => opts.showId(v.id.slice(0, 8))).join(', ')}.`);
    sessionId = hits[0]!.id;
  }
  const link = await createCheckLink(engine, me.actor, { sessionId, ttlSeconds: opts.ttlSeconds });
  return { url: `${opts.publicUrl.replace(/\/$/, '')}/k/${link.token}`, expiresAt: link.expiresAt };
}

export const CHECK_LINK_TEXT = "Open this link to check your access: EntryGuard looks at your firewalls right now, tells you what is wrong, and can move your session to the address you are on. It works once";
