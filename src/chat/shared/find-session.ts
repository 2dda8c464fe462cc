import type { EngineDeps } from '../../engine/deps.ts';
import { listMySessions, listOrgSessions } from '../../engine/session-queries.ts';
import type { SessionView } from '../../engine/session-view.ts';
import { AppError } from '../../shared/errors.ts';
import type { UserRow } from '../../engine/users.ts';
import type { chatActor } from '../../engine/chat-identity.ts';

/** Who is typing, as both platforms resolve it. */
export interface ChatMe {
  user: UserRow;
  actor: ReturnType<typeof chatActor>;
}
/**
 * Which session a typed `stop`/`extend` means: the full id, a unique prefix of one the user may
 * act on (admins: any in the org), or – with no id – their only session in a suitable state.
 * Errors: SESSION_NOT_FOUND, VALIDATION_FAILED (ambiguous).
 */
export async function findSession(
  engine: EngineDeps,
  me: ChatMe,
  target: string | undefined,
  fits: (v: SessionView) => boolean,
  showId: (id: string) => string,
): Promise<SessionView> {
  const mine = await listMySessions(engine, me.actor, { live: true });
  if (target === undefined) {
    const candidates = mine.filter(fits);
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) throw new AppError('SESSION_NOT_FOUND', 'You have no running session that this applies to.');
    throw ambiguous(candidates, showId);
  }
  const pool = me.user.isAdmin ? await listOrgSessions(engine, me.actor) : mine;
  const hits = pool.filter((v) => v.id.startsWith(target));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new AppError('SESSION_NOT_FOUND', `No running session ${showId(target)}.`);
  throw ambiguous(hits, showId);
}

const ambiguous = (views: SessionView[], showId: (id: string) => string) =>
  new AppError('VALIDATION_FAILED', `Which one? Say the id: ${views.map((v) => showId(v.id.slice(0, 8))).join(', ')}.`);
