/** Reads a customer-managed prefix list: its version, state, family, max entries and entries. */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ProviderError } from '../../engine/ports.ts';
import { canonicalCidr, type Family } from '../cidr.ts';
import { DescribeManagedPrefixListsCommand, paginateGetManagedPrefixListEntries } from '../aws/sdk.ts';

export interface ListEntry {
  /** Canonical CIDR (for comparing). */
  cidr: string;
  /** The CIDR as AWS stores it (RemoveEntry must name it so). */
  raw: string;
  description?: string | undefined;
}

export interface PrefixListState {
  id: string;
  family: Family;
  maxEntries: number;
  version: number;
  /** e.g. create-complete, modify-in-progress, modify-complete. */
  state: string;
  entries: ListEntry[];
}

export const isBusy = (s: PrefixListState): boolean => s.state.endsWith('-in-progress');

/**
 * Describe, then the entries of exactly that version (TargetVersion), so the snapshot is
 * consistent even if someone modifies the list in between. SDK errors propagate.
 */
export async function readPrefixList(ec2: EC2Client, id: string): Promise<PrefixListState> {
  const out = await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }));
  const pl = out.PrefixLists?.find((p) => p.PrefixListId === id);
  if (!pl || pl.State?.startsWith('delete')) {
    const message = `prefix list ${id} was not found (or is being deleted): check the identifier, region and account`;
    throw new ProviderError('NOT_FOUND', message, { retryable: false });
  }
  const version = pl.Version ?? 0;
  const entries: ListEntry[] = [];
  const pages = paginateGetManagedPrefixListEntries({ client: ec2, pageSize: 100 }, { PrefixListId: id, ...(version ? { TargetVersion: version } : {}) });
  for await (const page of pages) {
    for (const e of page.Entries ?? []) if (e.Cidr) entries.push({ cidr: canonicalCidr(e.Cidr), raw: e.Cidr, description: e.Description });
  }
  return {
    id,
    family: pl.AddressFamily === 'IPv6' ? 'v6' : 'v4',
    maxEntries: pl.MaxEntries ?? 0,
    version,
    state: pl.State ?? 'unknown',
    entries,
  };
}
