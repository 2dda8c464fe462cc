import type { PortRange } from '../../db/schema/index.ts';

/** JSON with sorted keys: jsonb does not keep key order, so plain JSON.stringify would see false changes. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

/** Deep equality that keeps `undefined` (not set) apart from `null` (set to nothing): in settings they differ. */
export const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

/** A value as the diff shows it. */
export function show(value: unknown): string {
  if (value === undefined || value === null || value === '') return '(none)';
  if (Array.isArray(value)) return value.length ? value.map(show).join(',') : '(none)';
  if (typeof value === 'object') return stableJson(value);
  return String(value);
}

/** `label before → after`, or nothing when equal. */
export function change(label: string, before: unknown, after: unknown): string[] {
  return same(before, after) ? [] : [`${label} ${show(before)} → ${show(after)}`];
}

/** `label +added -removed` for sets (members, resources …), or nothing when equal. */
export function setChange(label: string, before: readonly string[], after: readonly string[]): string[] {
  const b = new Set(before);
  const a = new Set(after);
  const parts = [...[...a].filter((x) => !b.has(x)).map((x) => `+${x}`), ...[...b].filter((x) => !a.has(x)).map((x) => `-${x}`)];
  return parts.length ? [`${label} ${parts.join(' ')}`] : [];
}

/** For objects whose values may be long (provider config, options): name the keys that changed. */
export function keysChange(label: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => !same(before[k], after[k]));
  return changed.length ? [`${label} changed (${changed.join(', ')})`] : [];
}

export function portsText(ports: readonly PortRange[]): string {
  if (!ports.length) return '(none)';
  return ports
    .map((p) => (p.from === undefined ? p.protocol : p.to === undefined || p.to === p.from ? `${p.protocol}/${p.from}` : `${p.protocol}/${p.from}-${p.to}`))
    .join(',');
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `~ thing name: a → b; c → d` — one line per changed entity. */
export const updateLine = (what: string, changes: readonly string[]): string => `~ ${what}: ${changes.join('; ')}`;
