import type { EngineDeps } from '../../engine/deps.ts';
import { DEFAULT_EXTEND_MINUTES, extendSession } from '../../engine/extend-session.ts';
import { canExtend } from '../../engine/state-machine.ts';
import { findSession, type ChatMe } from './find-session.ts';

/**
 * `extend [id] [hours]` on any chat platform: the user's one extendable session, or the one
 * named. Returns the reply text; `showId` and `showDate` render in the platform's format.
 */
export async function extendFromChat(
  engine: EngineDeps,
  me: ChatMe,
  target: string | undefined,
  minutes: number | undefined,
  show: { id: (id: string) => string; date: (d: Date) => string },
): Promise<string> {
  const view = await findSession(engine, me, target, (v) => canExtend(v.state), show.id);
  const r = await extendSession(engine, { sessionId: view.id, additionalMinutes: minutes ?? DEFAULT_EXTEND_MINUTES, actor: me.actor });
  const trimmed = r.trimmed ? ' (trimmed: that is the longest this session may run)' : '';
  return `Session \`${view.id.slice(0, 8)}\` now ends ${show.date(r.expiresAt)}${trimmed}.`;
}
