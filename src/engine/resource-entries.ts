import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { resourceEntries, type EntryState } from '../db/schema/index.ts';
import { transaction } from '../db/transaction.ts';
import type { Db } from '../db/client.ts';

/** What EntryGuard knows or suspects is in the cloud for a resource, per CIDR. */
export type Entries = Map<string, { state: EntryState; ruleId: string | null }>;

export async function loadEntries(tx: DbOrTx, resourceId: string): Promise<Entries> {
  const rows = await tx.select().from(resourceEntries).where(eq(resourceEntries.resourceId, resourceId));
  return new Map(rows.map((r) => [r.cidr, { state: r.state, ruleId: r.providerRuleId }]));
}

/** CIDRs whose rules may be in the cloud: confirmed, or a change to them was started and never confirmed. */
export const maybePresent = (entries: Entries) => new Set(entries.keys());
/** CIDRs the provider confirmed. */
export const confirmedPresent = (entries: Entries) => new Set([...entries].filter(([, e]) => e.state === 'PRESENT').map(([c]) => c));

/**
 * Intent before action: commits, before the provider is called, that these CIDRs are being added
 * (their rules may exist from now on) or removed. A crash during the call leaves the intent, and
 * the next sync of the resource finishes the job either way (resume-work.ts, the sweep). Returns
 * the CIDRs that had no entry at all before, whose rules certainly did not exist.
 */
export async function recordIntent(db: Db, resourceId: string, add: string[], remove: string[]): Promise<Set<string>> {
  return transaction(db, async (tx) => {
    const fresh = new Set<string>();
    if (add.length) {
      const inserted = await tx
        .insert(resourceEntries)
        .values(add.map((cidr) => ({ resourceId, cidr, state: 'ADDING' as const })))
        .onConflictDoNothing()
        .returning({ cidr: resourceEntries.cidr });
      for (const r of inserted) fresh.add(r.cidr);
      const again = add.filter((c) => !fresh.has(c));
      if (again.length) await setState(tx, resourceId, again, 'ADDING');
    }
    if (remove.length) await setState(tx, resourceId, remove, 'REMOVING');
    return fresh;
  });
}

/** Sets the state of existing entries (an intent: ADDING, REMOVING). */
export async function setState(tx: DbOrTx, resourceId: string, cidrs: string[], state: EntryState): Promise<void> {
  if (cidrs.length === 0) return;
  await tx
    .update(resourceEntries)
    .set({ state, updatedAt: sql`now()` })
    .where(and(eq(resourceEntries.resourceId, resourceId), inArray(resourceEntries.cidr, cidrs)));
}

/** Records entries in `state` with their provider rule ids, whether or not they were known: one statement. */
export async function setStates(tx: DbOrTx, resourceId: string, entries: { cidr: string; ruleId: string | null }[], state: EntryState): Promise<void> {
  if (entries.length === 0) return;
  await tx.execute(sql`
    insert into resource_entries (resource_id, cidr, provider_rule_id, state)
    select ${resourceId}::uuid, e.cidr, e.rule_id, ${state} from json_to_recordset(${JSON.stringify(entries.map((e) => ({ cidr: e.cidr, rule_id: e.ruleId })))}::json) as e(cidr text, rule_id text)
    on conflict (resource_id, cidr) do update set state = excluded.state, provider_rule_id = excluded.provider_rule_id, updated_at = now()`);
}

export async function deleteEntries(tx: DbOrTx, resourceId: string, cidrs: string[]): Promise<void> {
  if (cidrs.length === 0) return;
  await tx.delete(resourceEntries).where(and(eq(resourceEntries.resourceId, resourceId), inArray(resourceEntries.cidr, cidrs)));
}
