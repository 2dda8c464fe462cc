import type { EngineDeps } from '../../engine/deps.ts';
import { listMySessions } from '../../engine/session-queries.ts';
import { canStop } from '../../engine/state-machine.ts';
import { stopSession } from '../../engine/stop-session.ts';
import { findSession, type ChatMe } from './find-session.ts';

const code = (id: string) => `\`${id.slice(0, 8)}\``;

/**
 * `stop [id|all]` on any chat platform: one session (the user's own, or any for an admin, whose
 * stop is then recorded as ADMIN), or all of the user's own. Returns the reply text.
 * `showId` renders an id in the platform's error messages.
 */
export async function stopFromChat(engine: EngineDeps, me: ChatMe, target: string | undefined, showId: (id: string) => string): Promise<string> {
  if (target === 'all') {
    const live = (await listMySessions(engine, me.actor, { live: true })).filter((v) => canStop(v.state));
    for (const v of live) await stopSession(engine, { sessionId: v.id, actor: me.actor });
    return live.length ? `Stopping ${live.length === 1 ? 'your session' : `your ${live.length} sessions`}: ${live.map((v) => code(v.id)).join(', ')}.` : 'You have no running session.';
  }
  const view = await findSession(engine, me, target, (v) => canStop(v.state), showId);
  const asAdmin = view.userId !== me.user.id && me.user.isAdmin;
  const r = await stopSession(engine, { sessionId: view.id, actor: me.actor, asAdmin });
  return r.alreadyEnded ? `Session ${code(view.id)} had already ended.` : `Stopping session ${code(view.id)}: access is being closed.`;
}
