/**
 * Applies additions and removals to one prefix list with optimistic concurrency: read the
 * version, plan, ModifyManagedPrefixList with CurrentVersion; on a lost race read again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ModifyManagedPrefixListCommand } from '../aws/sdk.ts';
import { ProviderError, type CidrOutcome } from '../../engine/ports.ts';
import { awsErrorDetail, hasAwsCode, toProviderError, type AwsErrorContext } from '../aws/errors.ts';
import { isBusy, type PrefixListState } from './list-state.ts';
import { planPrefixList, type Candidate } from './plan.ts';

/** AddEntries and RemoveEntries each take at most 100 items per call. */
const MAX_PER_CALL = 100;
/** The list changed (or was mid-change) between our read and our write. */
const CONFLICT_CODES = ['PrefixListVersionMismatch', 'IncorrectState', 'InvalidPrefixListModification', 'PrefixListMaxEntriesExceeded'];
const INVALID_CODES = ['InvalidParameterValue', 'InvalidParameter'];
/** Polls of a list still applying an earlier change, before giving up for now. */
const MAX_BUSY_POLLS = 20;

export interface ListHandle {
  id: string;
  err: AwsErrorContext;
  /** Throws ProviderError. */
  read(): Promise<PrefixListState>;
}

export interface ModifyOptions {
  ec2: EC2Client;
  list: ListHandle;
  marker: string;
  pollMs: number;
  conflictRetries: number;
}

/** The list once no earlier modification is in progress (a modify would get IncorrectState). */
export async function readSettled(list: ListHandle, pollMs: number, first?: PrefixListState): Promise<PrefixListState> {
  for (let poll = 0; ; poll++) {
    const state = poll === 0 && first ? first : await list.read();
    if (!isBusy(state)) return state;
    if (poll >= MAX_BUSY_POLLS)
      throw new ProviderError('CONFLICT', `prefix list ${list.id} is still ${state.state}; it will be retried`, { retryable: true });
    await sleep(pollMs);
  }
}

export interface Outcomes {
  added: Map<string, CidrOutcome>;
  removed: Map<string, CidrOutcome>;
}

/** Sets an outcome for every candidate; throws ProviderError only when reading the list fails. */
export async function modifyList(
  o: ModifyOptions,
  adds: Candidate[],
  removes: Candidate[],
  outcomes: Outcomes,
  first?: PrefixListState,
): Promise<void> {
  let pendingAdds = adds;
  let pendingRemoves = removes;
  let conflicts = 0;
  let addsPerCall = MAX_PER_CALL;
  let known = first;
  const settle = (a: { input: string }[], r: { input: string }[], outcome: CidrOutcome) => {
    for (const x of a) outcomes.added.set(x.input, outcome);
    for (const x of r) outcomes.removed.set(x.input, outcome);
    pendingAdds = pendingAdds.filter((c) => !a.some((x) => x.input === c.input));
    pendingRemoves = pendingRemoves.filter((c) => !r.some((x) => x.input === c.input));
  };
  while (pendingAdds.length + pendingRemoves.length > 0) {
    const state = await readSettled(o.list, o.pollMs, known);
    known = undefined;
    const plan = planPrefixList(state, o.marker, pendingAdds, pendingRemoves);
    for (const [input, outcome] of plan.decidedAdds) outcomes.added.set(input, outcome);
    for (const [input, outcome] of plan.decidedRemoves) outcomes.removed.set(input, outcome);
    pendingAdds = pendingAdds.filter((c) => !plan.decidedAdds.has(c.input));
    pendingRemoves = pendingRemoves.filter((c) => !plan.decidedRemoves.has(c.input));
    const addNow = plan.adds.slice(0, addsPerCall);
    const removeNow = plan.removals.slice(0, MAX_PER_CALL);
    if (addNow.length + removeNow.length === 0) return;
    try {
      await o.ec2.send(
        new ModifyManagedPrefixListCommand({
          PrefixListId: o.list.id,
          CurrentVersion: state.version,
          ...(addNow.length ? { AddEntries: addNow.map((c) => ({ Cidr: c.cidr, Description: o.marker })) } : {}),
          ...(removeNow.length ? { RemoveEntries: removeNow.map((r) => ({ Cidr: r.entry.raw })) } : {}),
        }),
      );
      settle(addNow, removeNow, { ok: true });
    } catch (e) {
      if (hasAwsCode(e, ...CONFLICT_CODES) && conflicts < o.conflictRetries) {
        conflicts += 1;
        await sleep(Math.round(o.pollMs * conflicts * (0.5 + Math.random())));
      } else if (hasAwsCode(e, ...INVALID_CODES) && addNow.length > 1) {
        addsPerCall = 1; // one addition per call until the invalid one is found
      } else if (hasAwsCode(e, ...INVALID_CODES) && addNow.length === 1) {
        settle(addNow, [], { ok: false, error: toProviderError(e, { ...o.list.err, action: 'ModifyManagedPrefixList' }) });
      } else {
        const busy = `prefix list ${o.list.id} kept changing while EntryGuard modified it; it will be retried`;
        const error = hasAwsCode(e, ...CONFLICT_CODES)
          ? new ProviderError('CONFLICT', busy, { retryable: true, cause: awsErrorDetail(e) })
          : toProviderError(e, { ...o.list.err, action: 'ModifyManagedPrefixList' });
        settle(plan.adds, plan.removals, { ok: false, error });
        settle(pendingAdds, pendingRemoves, { ok: false, error });
      }
    }
  }
}
