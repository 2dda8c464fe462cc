/** Decides, without calling AWS, which entries one modification of a prefix list adds and removes (pure). */
import { ProviderError, type CidrOutcome } from '../../engine/ports.ts';
import type { Family } from '../cidr.ts';
import type { ListEntry, PrefixListState } from './list-state.ts';

export interface Candidate {
  input: string;
  cidr: string;
  family: Family;
}

export interface Removal {
  input: string;
  entry: ListEntry;
}

export interface ListPlan {
  /** Outcomes settled without a call, per input, for additions and removals apart. */
  decidedAdds: Map<string, CidrOutcome>;
  decidedRemoves: Map<string, CidrOutcome>;
  adds: Candidate[];
  removals: Removal[];
}

const LABEL: Record<Family, string> = { v4: 'IPv4', v6: 'IPv6' };

/**
 * Removals: only entries carrying our marker; anything else is already "removed" for us.
 * Additions, in the order given: ours already → ok; present but not ours → UNMANAGED_ENTRY_EXISTS
 * (never adopted); the other address family → WRONG_ADDRESS_FAMILY; beyond max entries (after
 * this plan's removals) → QUOTA_EXCEEDED; otherwise added.
 */
export function planPrefixList(state: PrefixListState, marker: string, adds: Candidate[], removes: Candidate[]): ListPlan {
  const decidedAdds = new Map<string, CidrOutcome>();
  const decidedRemoves = new Map<string, CidrOutcome>();
  const removals: Removal[] = [];
  for (const r of removes) {
    const entry = state.entries.find((e) => e.cidr === r.cidr);
    if (entry && entry.description === marker) removals.push({ input: r.input, entry });
    else decidedRemoves.set(r.input, { ok: true });
  }
  let room = state.maxEntries - state.entries.length + removals.length;
  const planned: Candidate[] = [];
  for (const c of adds) {
    const entry = state.entries.find((e) => e.cidr === c.cidr && !removals.some((r) => r.entry === e));
    if (c.family !== state.family) {
      decidedAdds.set(c.input, fail('WRONG_ADDRESS_FAMILY', wrongFamily(state, c)));
    } else if (entry?.description === marker) {
      decidedAdds.set(c.input, { ok: true });
    } else if (entry) {
      decidedAdds.set(c.input, fail('UNMANAGED_ENTRY_EXISTS', unmanaged(state, c, entry)));
    } else if (room <= 0) {
      decidedAdds.set(c.input, fail('QUOTA_EXCEEDED', full(state, c)));
    } else {
      room -= 1;
      planned.push(c);
    }
  }
  return { decidedAdds, decidedRemoves, adds: planned, removals };
}

const wrongFamily = (s: PrefixListState, c: Candidate) =>
  `prefix list ${s.id} holds ${LABEL[s.family]} entries only; ${c.cidr} is ${LABEL[c.family]} ` +
  `(configure a ${LABEL[c.family]} companion prefix list)`;

const unmanaged = (s: PrefixListState, c: Candidate, e: ListEntry) =>
  `prefix list ${s.id} already has an entry for ${c.cidr} that EntryGuard does not manage (description "${e.description ?? ''}"); ` +
  'EntryGuard will not adopt or remove it. That address already has standing access: delete the entry to make access time-bound.';

const full = (s: PrefixListState, c: Candidate) =>
  `prefix list ${s.id} is full (${s.maxEntries} max entries): ${c.cidr} was not added. ` +
  'Raise its max entries (every security group that references it must have room for the new size).';

function fail(code: string, message: string): CidrOutcome {
  return { ok: false, error: new ProviderError(code, message, { retryable: false }) };
}
