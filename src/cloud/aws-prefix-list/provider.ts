/**
 * `aws-prefix-list`: entries of a customer-managed prefix list (plus, optionally, a companion list
 * of the other address family), described `entryguard:<resourceId>`. A security group rule
 * references the list, so a team can grow past the per-group rule quota.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ProviderError, type ApplyResult, type CidrOutcome, type FirewallProvider, type ResourceTarget } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { parseCidr } from '../cidr.ts';
import { cidrsToEnsure, toEntry } from '../drift.ts';
import { createEc2Clients } from '../aws/client.ts';
import { toProviderError } from '../aws/errors.ts';
import { ownerMarker, parseResourceConfig, requireRegion } from '../aws/target.ts';
import { AwsPrefixListConfig } from './config.ts';
import { readPrefixList, type PrefixListState } from './list-state.ts';
import { modifyList, readSettled, type ListHandle, type Outcomes } from './modify.ts';
import type { Candidate } from './plan.ts';
import { verifyPrefixList } from './verify.ts';
import { credentialKey, warmUpByClient } from '../warm-up.ts';

const DEFAULT_POLL_MS = 500;
const LABEL = { v4: 'IPv4', v6: 'IPv6' } as const;

export interface ListContext {
  ec2: EC2Client;
  config: AwsPrefixListConfig;
  /** The identifier's list, then the companion list if configured. */
  lists: ListHandle[];
}

export function createAwsPrefixListProvider(deps: ProviderDeps): FirewallProvider {
  const clients = createEc2Clients(deps);
  const pollMs = deps.overrides?.aws?.pollIntervalMs ?? DEFAULT_POLL_MS;

  async function context(resource: ResourceTarget): Promise<ListContext> {
    const config = parseResourceConfig(AwsPrefixListConfig, resource);
    const region = requireRegion(resource);
    const ec2 = await clients.forResource(resource);
    const ids = [resource.identifier, ...(config.companionPrefixListId ? [config.companionPrefixListId] : [])];
    const lists = ids.map((id): ListHandle => {
      const err = { target: `prefix list ${id} in ${region}`, credential: resource.credential?.name };
      return {
        id,
        err,
        read: async () => {
          try {
            return await readPrefixList(ec2, id);
          } catch (e) {
            throw toProviderError(e, { ...err, action: 'DescribeManagedPrefixLists' });
          }
        },
      };
    });
    return { ec2, config, lists };
  }

  /** Each list's settled state; two lists must hold different address families. */
  async function states(resource: ResourceTarget, ctx: ListContext): Promise<PrefixListState[]> {
    const all = await Promise.all(ctx.lists.map((l) => readSettled(l, pollMs)));
    if (all.length === 2 && all[0]!.family === all[1]!.family) {
      throw new ProviderError(
        'INVALID_CONFIG',
        `resource "${resource.name}": ${all[0]!.id} and companion ${all[1]!.id} are both ${LABEL[all[0]!.family]} lists; ` +
          'the companion must hold the other family',
        { retryable: false },
      );
    }
    return all;
  }

  return {
    kind: 'aws-prefix-list',
    listsForeignEntries: false,

    verify: (resource) => verifyPrefixList(resource, () => context(resource)),

    // Resolves the credentials and opens the connection with one read of a list per client.
    warmUp: warmUpByClient(
      deps.logger,
      (resource) => JSON.stringify([...credentialKey(resource), resource.region]),
      async (resource) => (await context(resource)).lists[0]!.read(),
    ),

    async list(resource) {
      const ctx = await context(resource);
      const marker = ownerMarker(resource);
      const all = await Promise.all(ctx.lists.map((l) => l.read()));
      // An entry is one CIDR with no ports (the referencing security group has them): one that
      // carries our marker is intact; one whose marker was edited away is no longer ours.
      return all.flatMap((s) => s.entries.filter((e) => e.description === marker).map((e) => toEntry(e.cidr, undefined, [])));
    },

    async apply(resource, change): Promise<ApplyResult> {
      const ctx = await context(resource);
      const listStates = await states(resource, ctx);
      const outcomes: Outcomes = { added: new Map(), removed: new Map() };
      // A repair is an add: an entry of ours is intact whenever it is there.
      const ensure = cidrsToEnsure(change);
      const adds = candidates(ensure, outcomes.added, true);
      const removes = candidates(change.remove, outcomes.removed, false);
      const marker = ownerMarker(resource);
      for (const [i, state] of listStates.entries()) {
        const opts = { ec2: ctx.ec2, list: ctx.lists[i]!, marker, pollMs, conflictRetries: ctx.config.conflictRetries };
        // One modification per list carries both removals and additions (AWS applies removals first).
        await modifyList(opts, adds.filter((c) => c.family === state.family), removes.filter((c) => c.family === state.family), outcomes, state);
      }
      const held = new Set(listStates.map((s) => s.family));
      for (const c of removes) if (!held.has(c.family)) outcomes.removed.set(c.input, { ok: true });
      for (const c of adds) {
        if (held.has(c.family)) continue;
        const have = listStates.map((s) => `${s.id} holds ${LABEL[s.family]}`).join(', ');
        const fam = LABEL[c.family];
        const message =
          `no prefix list of resource "${resource.name}" holds ${fam} entries (${have}), so ${c.cidr} was not added; ` +
          `set companionPrefixListId to a ${fam} prefix list to serve ${fam} users`;
        outcomes.added.set(c.input, { ok: false, error: new ProviderError('WRONG_ADDRESS_FAMILY', message, { retryable: false }) });
      }
      return { added: outcomesFor(ensure, adds, outcomes.added), removed: outcomesFor(change.remove, removes, outcomes.removed) };
    },
  };
}

/**
 * Parses CIDRs, each canonical CIDR once. An invalid one fails an add; for a remove it is
 * "absent" (ok): nothing we add can match it, and a removal that can never succeed would keep a
 * session from ending.
 */
function candidates(inputs: string[], outcomes: Map<string, CidrOutcome>, isAdd: boolean): Candidate[] {
  const out: Candidate[] = [];
  for (const input of inputs) {
    const parsed = parseCidr(input);
    if (!parsed) {
      const invalid = new ProviderError('INVALID_CIDR', `"${input}" is not a valid CIDR (host bits must be zero)`, { retryable: false });
      outcomes.set(input, isAdd ? { ok: false, error: invalid } : { ok: true });
    } else if (!out.some((c) => c.cidr === parsed.cidr)) out.push({ input, ...parsed });
  }
  return out;
}

/** The outcome of every input; repeated spellings of one CIDR share the first one's outcome. */
function outcomesFor(inputs: string[], planned: Candidate[], outcomes: Map<string, CidrOutcome>): Map<string, CidrOutcome> {
  const result = new Map<string, CidrOutcome>();
  for (const input of inputs) {
    const first = planned.find((c) => c.cidr === parseCidr(input)?.cidr);
    const outcome = outcomes.get(first?.input ?? input);
    result.set(input, outcome ?? { ok: false, error: new ProviderError('INTERNAL', `no outcome for ${input}`, { retryable: true }) });
  }
  return result;
}
