/**
 * Removes a credential from what a script printed before anyone sees or stores it: a script run
 * with `set -x`, or one that echoes its input, would otherwise put the secret into a rule's error,
 * the audit and the logs. The pieces removed are the whole value, each of its lines, and every
 * string inside it when it is JSON (a cloud key pair printed field by field), also URL-encoded.
 */
const REDACTED = '[redacted]';
/** Shorter pieces would remove ordinary words; a credential field is longer than this. */
const MIN_PIECE = 6;

export function secretPieces(secret: string | undefined): string[] {
  if (!secret) return [];
  const pieces = new Set<string>([secret, secret.trim(), ...secret.split(/\r?\n/).map((l) => l.trim())]);
  try {
    collectStrings(JSON.parse(secret), pieces);
  } catch {
    // not JSON: the value and its lines are all there is
  }
  for (const p of [...pieces]) pieces.add(encodeURIComponent(p));
  return [...pieces].filter((p) => p.length >= MIN_PIECE).sort((a, b) => b.length - a.length);
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectStrings(v, into));
}

/** `text` with every piece replaced by [redacted] (longest first, so a value inside another goes too). */
export function redact(text: string, pieces: readonly string[]): string {
  let out = text;
  for (const p of pieces) out = out.split(p).join(REDACTED);
  return out;
}
