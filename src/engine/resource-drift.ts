import { transaction } from '../db/transaction.ts';
import { recordAudit, systemActor } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import type { ProviderEntry, ResourceTarget } from './ports.ts';
import { deleteEntries, setStates, type Entries } from './resource-entries.ts';

export interface Drift {
  /** Ours, wanted, and gone from the cloud: re-added. */
  missing: string[];
  /** Ours and wanted, but one of their rules is missing or altered: repaired in place. */
  altered: { cidr: string; problems: string[] }[];
  /** Ours in the cloud and wanted by no live session: removed. */
  orphaned: string[];
}

/**
 * Reconcile: what the provider lists becomes the truth for our entries, rule by rule. A CIDR
 * whose rules are gone is forgotten (and re-added if wanted); a CIDR listed with a damaged rule is
 * repaired; a rule of ours nobody wants is adopted so the sync removes it. Intents left by a crash
 * are settled by what is really there. When the provider may list entries that are not ours (a
 * script over a shared allowlist), only CIDRs EntryGuard recorded are considered. Every drift is
 * audited. Returns the updated entries.
 */
export async function reconcileEntries(
  deps: SyncDeps,
  target: ResourceTarget,
  entries: Entries,
  listed: ProviderEntry[],
  desired: Set<string>,
  opts: { listsForeignEntries: boolean },
): Promise<{ entries: Entries; drift: Drift }> {
  const cloud = new Map(listed.filter((e) => !opts.listsForeignEntries || entries.has(e.cidr)).map((e) => [e.cidr, e]));
  const drift: Drift = {
    missing: [...entries].filter(([c, e]) => e.state === 'PRESENT' && desired.has(c) && !cloud.has(c)).map(([c]) => c),
    altered: [...cloud.values()].filter((e) => desired.has(e.cidr) && e.intact === false).map((e) => ({ cidr: e.cidr, problems: e.problems ?? [] })),
    orphaned: [...cloud.keys()].filter((c) => !desired.has(c)),
  };
  const gone = [...entries.keys()].filter((c) => !cloud.has(c));
  const confirmed = [...cloud.values()].filter((e) => entries.get(e.cidr)?.state !== 'REMOVING' && entries.get(e.cidr)?.state !== 'PRESENT');

  const next: Entries = new Map(entries);
  for (const c of gone) next.delete(c);
  for (const e of confirmed) next.set(e.cidr, { state: 'PRESENT', ruleId: e.ruleId ?? null });

  await transaction(deps.db, async (tx) => {
    await deleteEntries(tx, target.id, gone);
    await setStates(tx, target.id, confirmed.map((e) => ({ cidr: e.cidr, ruleId: e.ruleId ?? null })), 'PRESENT');
    const actor = systemActor(target.orgId, 'reconcile');
    const audit = (action: string, details: Record<string, unknown>) =>
      recordAudit(tx, actor, { action, targetType: 'resource', targetId: target.id, details });
    if (drift.missing.length) await audit('RECONCILE_MISSING_RULE', { cidrs: drift.missing, repair: 're-applied' });
    if (drift.altered.length) await audit('RECONCILE_ALTERED_RULE', { rules: drift.altered, repair: 're-applied' });
    if (drift.orphaned.length) await audit('RECONCILE_ORPHANED_RULE', { cidrs: drift.orphaned, repair: 'removed' });
  });
  return { entries: next, drift };
}
