/**
 * The candidate a mistyped name most likely meant, or undefined when none is close: equal once
 * case and punctuation are ignored (`aws-securitygroup`, `AWS_Security_Group`), or within a small
 * edit distance (a third of the name's length, at least 2).
 */
export function closestMatch(value: string, candidates: readonly string[]): string | undefined {
  const bare = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const exact = candidates.find((c) => bare(c) === bare(value));
  if (exact) return exact;
  const limit = Math.max(2, Math.floor(value.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(value.toLowerCase(), c.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name: c, distance };
  }
  return best?.name;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
