import type { EngineDeps } from '../../engine/deps.ts';
import { listMySessions, listOrgSessions } from '../../engine/session-queries.ts';
import type { SessionView } from '../../engine/session-view.ts';
import { AppError } from '../../shared/errors.ts';
import { shortId } from './format.ts';
import type { TeamsMe } from './handler-deps.ts';

/**
 * Which session a typed `stop`/`extend` means: a unique id prefix of one the user may act on
 * (admins: any in the org), or – with no id – their only session in a suitable state.
 * Errors: SESSION_NOT_FOUND, VALIDATION_FAILED (ambiguous).
 */
export async function findSession(engine: EngineDeps, me: TeamsMe, target: string | undefined, fits: (v: SessionView) => boolean): Promise<SessionView> {
  const mine = await listMySessions(engine, me.actor, { live: true });
  if (target === undefined) {
    const candidates = mine.filter(fits);
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) throw new AppError('SESSION_NOT_FOUND', 'You have no running session that this applies to.');
    throw ambiguous(candidates);
  }
  const pool = me.user.isAdmin ? await listOrgSessions(engine, me.actor) : mine;
  const hits = pool.filter((v) => v.id.startsWith(target));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new AppError('SESSION_NOT_FOUND', `No running session ${target}.`);
  throw ambiguous(hits);
}

const ambiguous = (views: SessionView[]) => new AppError('VALIDATION_FAILED', `Which one? Say the id: ${views.map((v) => shortId(v.id)).join(', ')}.`);
