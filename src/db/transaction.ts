import type { Db, DbOrTx, Tx } from './client.ts';

/** Postgres codes after which the whole transaction can simply run again. */
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

interface Hooks {
  beforeCommit: (() => Promise<void>)[];
  afterCommit: (() => void)[];
}
/** Hooks of the transactions this module runs (a drizzle tx object is the key). */
const hooksOf = new WeakMap<object, Hooks>();

/**
 * A transaction that is run again (up to `attempts` times) when Postgres aborts it to break a
 * deadlock or a serialization conflict. Writers take locks in one global order, but
 * graphile-worker's add_jobs creates queue rows in an order it chooses, so two first-ever
 * transactions on the same new resources can still collide; the loser simply runs again.
 * `beforeCommit` work runs last inside the transaction, `afterCommit` callbacks once it committed.
 */
export async function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let hooks: Hooks | undefined;
    try {
      const result = await db.transaction(async (tx) => {
        hooks = { beforeCommit: [], afterCommit: [] };
        hooksOf.set(tx, hooks);
        const value = await fn(tx);
        for (const work of hooks.beforeCommit) await work();
        return value;
      });
      for (const cb of hooks?.afterCommit ?? []) cb();
      return result;
    } catch (err) {
      if (attempt >= attempts || !RETRYABLE.has(pgCode(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}

/**
 * Runs `work` at the end of `tx`, before it commits, when `tx` is a transaction run by
 * transaction(). Returns false (and does nothing) otherwise: the pool, or a transaction opened
 * elsewhere, where the caller must do the work itself.
 */
export function beforeCommit(tx: DbOrTx, work: () => Promise<void>): boolean {
  const hooks = hooksOf.get(tx);
  if (!hooks) return false;
  hooks.beforeCommit.push(work);
  return true;
}

/** Calls `cb` once `tx` has committed (at once when `tx` is not a transaction run by transaction()). */
export function afterCommit(tx: DbOrTx, cb: () => void): void {
  const hooks = hooksOf.get(tx);
  if (hooks) hooks.afterCommit.push(cb);
  else cb();
}

function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
