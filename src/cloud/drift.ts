/**
 * What every provider needs to report drift per rule and to repair it (pure). A listed CIDR is
 * intact when each rule EntryGuard keeps for it exists with the content EntryGuard writes; the
 * problems say, in words for the audit, what is not.
 */
import type { ChangeSet, ProviderEntry } from '../engine/ports.ts';
export { accessLabel } from '../shared/access-label.ts';

/**
 * The CIDRs an apply must leave exactly as configured: additions and repairs, each once. An add
 * and a repair are the same work (create what is missing, rewrite what was altered), so a CIDR
 * whose rules partly exist is completed either way and never fails as a duplicate.
 */
export function cidrsToEnsure(change: ChangeSet): string[] {
  return [...new Set([...change.add, ...(change.repair ?? [])])];
}

/** A listed CIDR with its verdict: intact exactly when nothing is wrong. */
export function toEntry(cidr: string, ruleId: string | undefined, problems: readonly string[]): ProviderEntry {
  return problems.length ? { cidr, ruleId, intact: false, problems: [...problems] } : { cidr, ruleId, intact: true };
}

/**
 * Compares what a rule allows with what EntryGuard writes, both as access labels:
 * `["tcp/443 missing", "tcp/8443 is not configured"]`, each prefixed by `where` when given.
 */
export function accessProblems(expected: readonly string[], actual: readonly string[], where = ''): string[] {
  const prefix = where ? `${where}: ` : '';
  const want = new Set(expected);
  const have = new Set(actual);
  return [
    ...[...want].filter((x) => !have.has(x)).map((x) => `${prefix}${x} missing`),
    ...[...have].filter((x) => !want.has(x)).map((x) => `${prefix}${x} is not configured`),
  ];
}
