/**
 * A bounded, expiring set of recently seen keys (payloads already handled), held by one
 * receiver instance. Insertion-ordered Map: the oldest entries go first when it is full.
 */
export function createRecentKeys(max: number, ttlMs: number, now: () => number = Date.now) {
  const keys = new Map<string, number>();
  return {
    has(key: string): boolean {
      const at = keys.get(key);
      return at !== undefined && now() - at < ttlMs;
    },
    add(key: string): void {
      keys.delete(key);
      keys.set(key, now());
      while (keys.size > max) keys.delete(keys.keys().next().value!);
    },
  };
}
