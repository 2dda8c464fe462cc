/** Cuts `s` to at most `max` characters (code points, so no emoji is split), ending in … when cut. */
export function capText(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}
