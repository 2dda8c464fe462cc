/**
 * Parses what people type for a duration: `2h`, `90m`, `1h30m`, or a bare number of hours.
 * Returns minutes, or undefined when the text is not a duration.
 */
export function parseDurationMinutes(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return toWholeMinutes(Number(t) * 60);
  const m = /^(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?$/.exec(t);
  if (!m || (!m[1] && !m[2])) return undefined;
  return toWholeMinutes(Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0));
}

function toWholeMinutes(n: number): number | undefined {
  return Number.isFinite(n) && n > 0 && Number.isInteger(n) ? n : undefined;
}

export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h && m) return `${h}h${m}m`;
  return h ? `${h}h` : `${m}m`;
}

/** Durations as people read a choice: "1h", "1h or 2h", "1h, 2h or 4h". */
export function formatChoices(minutes: readonly number[]): string {
  const parts = minutes.map(formatMinutes);
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`;
}
