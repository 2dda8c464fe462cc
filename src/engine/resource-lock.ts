import type { Db } from '../db/client.ts';

/** Advisory lock class of per-resource exclusion ("EGR!"); the second key is a hash of the resource id. */
const RESOURCE_LOCK_CLASS = 0x45475221;

/**
 * Runs `fn` holding the resource's exclusive lock, or returns `undefined` at once when another
 * sync holds it. The resource's job queue already runs one sync at a time; this lock is what makes
 * that true even if a queue lock is released from under a worker wrongly believed dead. It is a
 * transaction lock, in a transaction held open (idle, no snapshot) while `fn` runs on other
 * connections: it ends with that transaction, so it is gone the moment a killed worker's
 * connection closes, and can never be left behind on a pooled connection. If that connection is
 * lost meanwhile, the commit fails and the sync's job runs again (a sync is idempotent).
 */
export async function withResourceLock<T>(db: Db, resourceId: string, fn: () => Promise<T>): Promise<T | undefined> {
  const result = await db.$client.begin(async (sql) => {
    const [row] = await sql<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${RESOURCE_LOCK_CLASS}::int, hashtext(${resourceId})) as ok`;
    return row?.ok ? { value: await fn() } : undefined;
  });
  return (result as { value: T } | undefined)?.value;
}
