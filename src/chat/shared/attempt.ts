/**
 * What a person tried, in a few words for the audit of a refusal (engine ChatUserRef.attempt):
 * the command's first word or the button's id, never the whole text they typed, and capped.
 */
const MAX = 40;

export const commandAttempt = (text: string | undefined): string => `command ${(text ?? '').trim().split(/\s+/)[0]?.slice(0, MAX) || 'help'}`;

export const buttonAttempt = (id: string | undefined): string => `button ${(id ?? 'unknown').slice(0, MAX)}`;
