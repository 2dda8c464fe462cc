import type { Db, Tx } from './client.ts';

/** Postgres codes after which the whole transaction can simply run again. */
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * A transaction that is run again (up to `attempts` times) when Postgres aborts it to break a
 * deadlock or a serialization conflict. Writers take locks in one global order, but
 * graphile-worker's add_jobs creates queue rows in an order it chooses, so two first-ever
 * transactions on the same new resources can still collide; the loser simply runs again.
 */
export async function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (attempt >= attempts || !RETRYABLE.has(pgCode(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}

function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
