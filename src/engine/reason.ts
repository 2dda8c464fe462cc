import { AppError } from '../shared/errors.ts';
import { capText } from '../shared/text.ts';

/** The longest reason kept (characters): a ticket id and a sentence, not an essay in every card. */
export const REASON_MAX = 200;

/**
 * A reason as stored: one line, spaces collapsed, capped at REASON_MAX; blank → undefined.
 * Stored as typed otherwise: each platform escapes it when rendering.
 */
export function normalizeReason(reason: string | undefined | null): string | undefined {
  const one = (reason ?? '').replace(/\s+/g, ' ').trim();
  return one ? capText(one, REASON_MAX) : undefined;
}

/** REASON_REQUIRED when one of the roles that would open resources says `requireReason: true` and none was given. */
export function checkReason(reasonRoles: readonly string[], reason: string | undefined): void {
  if (reason || reasonRoles.length === 0) return;
  throw new AppError(
    'REASON_REQUIRED',
    `Say why you need access: role ${reasonRoles.join(', ')} requires a reason, e.g. "start 2h fixing INC-123".`,
    { details: { roles: reasonRoles } },
  );
}
