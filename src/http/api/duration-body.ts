import { DEFAULT_EXTEND_MINUTES } from '../../engine/extend-session.ts';
import { startDurationHint } from '../../engine/plans.ts';
import { loadStartPolicy } from '../../engine/start-session.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { formatMinutes, parseDurationMinutes } from '../../shared/duration.ts';
import { AppError } from '../../shared/errors.ts';

/** The duration fields start and extend share (schemas.ts). */
export interface DurationInput {
  duration?: string | undefined;
  durationHours?: number | undefined;
}

/** What to tell a caller whose duration text could not be read: what they may actually pick. */
export interface DurationHint {
  text: string;
  offeredMinutes?: number[];
}

/**
 * Minutes asked for by a body's duration fields, or undefined when it gives none. Text that is no
 * duration is VALIDATION_FAILED on `duration`, and the message says what this caller may pick
 * (`hint`, asked only then): a fixed example would suggest durations their plan refuses.
 */
export async function bodyMinutes(body: DurationInput, hint: () => Promise<DurationHint>): Promise<number | undefined> {
  if (body.duration === undefined) return body.durationHours !== undefined ? Math.round(body.durationHours * 60) : undefined;
  const minutes = parseDurationMinutes(body.duration);
  if (minutes !== undefined) return minutes;
  const { text, offeredMinutes } = await hint();
  const message = `${JSON.stringify(body.duration)} is not a duration. ${text}`;
  throw new AppError('VALIDATION_FAILED', message, { details: { fields: { duration: message }, ...(offeredMinutes ? { offeredMinutes } : {}) } });
}

/** For a start: the durations the caller's plan, org and roles offer. */
export const startHint = (engine: Pick<EngineDeps, 'db'>, actor: { orgId: string; userId: string }) => async (): Promise<DurationHint> => {
  const { offered } = await loadStartPolicy(engine.db, actor.orgId, actor.userId);
  return { text: startDurationHint(offered), offeredMinutes: offered };
};

/** For an extension: any length is taken (trimmed at the cap), so the default one is a safe example. */
export const extendHint = async (): Promise<DurationHint> => ({ text: `Give hours and/or minutes, such as "${formatMinutes(DEFAULT_EXTEND_MINUTES)}".` });
