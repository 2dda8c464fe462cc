/**
 * verify() for a prefix-list resource: can we read its list(s), may we modify them (DryRun), and
 * how many entries are left per address family (a family without a list has none). Never throws.
 */
import { ModifyManagedPrefixListCommand } from '../aws/sdk.ts';
import type { ResourceTarget, VerifyResult } from '../../engine/ports.ts';
import { dryRun } from '../aws/dry-run.ts';
import { toProviderError } from '../aws/errors.ts';
import { ownerMarker } from '../aws/target.ts';
import type { ListHandle } from './modify.ts';
import type { ListContext } from './provider.ts';

/** Documentation addresses (RFC 5737 / RFC 3849): the dry run names entries nobody would hold. */
const PROBE = { v4: '192.0.2.1/32', v6: '2001:db8::1/128' };

interface ListCheck {
  reachable: boolean;
  permitted: boolean;
  family?: 'v4' | 'v6';
  left?: number;
  message: string;
}

export async function verifyPrefixList(resource: ResourceTarget, context: () => Promise<ListContext>): Promise<VerifyResult> {
  let ctx: ListContext;
  try {
    ctx = await context();
  } catch (e) {
    const message = toProviderError(e, { target: resource.identifier }).message;
    return { reachable: false, permitted: false, capacityLeft: { v4: null, v6: null }, message };
  }
  const checks = await Promise.all(ctx.lists.map((l) => checkList(resource, ctx, l)));
  const capacityLeft = { v4: 0, v6: 0 };
  for (const c of checks) if (c.family && c.left !== undefined) capacityLeft[c.family] += c.left;
  return {
    reachable: checks.every((c) => c.reachable),
    permitted: checks.every((c) => c.permitted),
    capacityLeft,
    message: checks.map((c) => c.message).join('; '),
  };
}

async function checkList(resource: ResourceTarget, ctx: ListContext, list: ListHandle): Promise<ListCheck> {
  let state;
  try {
    state = await list.read();
  } catch (e) {
    const error = toProviderError(e, list.err);
    // AWS answered but said no: reachable, not permitted. Anything else: not reachable.
    const answered = error.code === 'FORBIDDEN' || error.code === 'AUTH_FAILED';
    return { reachable: answered, permitted: false, message: error.message };
  }
  const check = await dryRun(
    () =>
      ctx.ec2.send(
        new ModifyManagedPrefixListCommand({
          PrefixListId: list.id,
          CurrentVersion: state.version,
          AddEntries: [{ Cidr: PROBE[state.family], Description: ownerMarker(resource) }],
          DryRun: true,
        }),
      ),
    { ...list.err, action: 'ModifyManagedPrefixList' },
  );
  const left = Math.max(0, state.maxEntries - state.entries.length);
  const family = state.family === 'v4' ? 'IPv4' : 'IPv6';
  return {
    reachable: true,
    permitted: check.permitted,
    family: state.family,
    left,
    message: check.reason ?? `${list.id}: ${family}, version ${state.version}, ${state.entries.length} of ${state.maxEntries} entries used`,
  };
}
