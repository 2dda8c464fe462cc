import { ProviderError, type ApplyResult, type CidrOutcome, type FirewallProvider, type ResourceTarget } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { cidrsToEnsure, toEntry } from '../drift.ts';
import { canonicalCidr } from './cidrs.ts';
import { createClientCache } from './clients.ts';
import { FAMILIES, parseResource, type Family } from './config.ts';
import { readRule, syncFamily, type FamilyOutcomes } from './family-sync.ts';
import type { GcpSettings } from './operations.ts';
import { ownershipError, ruleDrift } from './rules.ts';
import { verifyResource } from './verify.ts';
import { credentialKey, warmUpByClient } from '../warm-up.ts';

/**
 * `gcp-firewall`: one VPC firewall rule per resource and IP family (`<base>-v4`, `<base>-v6`)
 * whose `sourceRanges` is the desired set. See README.md for config, permissions and limits.
 */
export function createGcpFirewallProvider(deps: ProviderDeps): FirewallProvider {
  const o = deps.overrides?.gcp;
  const settings: GcpSettings = {
    timeoutMs: o?.timeoutMs ?? 30_000,
    operationTimeoutMs: o?.operationTimeoutMs ?? 180_000,
    retryDelayMs: o?.retryDelayMs ?? 500,
    maxAttempts: 5,
  };
  const cache = createClientCache(deps.secrets, o);
  const log = deps.logger.child({ provider: 'gcp-firewall' });

  async function target(resource: ResourceTarget) {
    const { config, ruleNames, addBlocker } = parseResource(resource);
    const clients = await cache.get(resource, config.project);
    return { config, ruleNames, addBlocker, clients };
  }

  return {
    kind: 'gcp-firewall',
    listsForeignEntries: false,

    verify: (resource) => verifyResource(cache, settings, resource),

    warmUp: warmUpByClient(
      log,
      (resource) => JSON.stringify([...credentialKey(resource), parseResource(resource).config.project]),
      async (resource) => {
        const { config, ruleNames, clients } = await target(resource);
        // Each client loads the Compute API's description on first use — seconds of CPU on a
        // small machine — so that happens now rather than inside the first sync after a start.
        await Promise.all([clients.firewalls.initialize(), clients.operations.initialize(), clients.networks.initialize()]);
        await readRule({ clients, config, settings }, ruleNames.v4); // signs in, opens the connection
      },
    ),

    async list(resource) {
      const { config, ruleNames, addBlocker, clients } = await target(resource);
      const rules = await Promise.all(FAMILIES.map((f) => readRule({ clients, config, settings }, ruleNames[f])));
      return rules.flatMap((rule) => {
        if (!rule) return [];
        const foreign = ownershipError(rule, resource, config);
        if (foreign) throw foreign;
        // One rule carries every port of its family: what is wrong with it is wrong for each of its CIDRs.
        // With a config that cannot be trusted there is nothing to compare with (additions report it).
        const problems = addBlocker ? [] : ruleDrift(rule, resource, config).problems;
        return (rule.sourceRanges ?? []).map((raw) => toEntry(canonicalCidr(raw)?.cidr ?? raw, rule.name ?? undefined, problems));
      });
    },

    async apply(resource, change): Promise<ApplyResult> {
      const { config, ruleNames, addBlocker, clients } = await target(resource);
      const result: ApplyResult = { added: new Map(), removed: new Map() };
      // Work per family on canonical CIDRs, then report under the caller's own spelling.
      const byFamily = { v4: { add: new Map<string, string>(), remove: new Map<string, string>() }, v6: { add: new Map(), remove: new Map() } };
      // A repair is an add: the family's rule is rewritten in full when it was altered.
      for (const raw of cidrsToEnsure(change)) {
        const c = canonicalCidr(raw);
        if (addBlocker) result.added.set(raw, { ok: false, error: addBlocker });
        else if (c) byFamily[c.family].add.set(raw, c.cidr);
        else result.added.set(raw, { ok: false, error: invalidCidr(raw) });
      }
      for (const raw of change.remove) {
        const c = canonicalCidr(raw);
        if (c) byFamily[c.family].remove.set(raw, c.cidr);
        else result.removed.set(raw, { ok: true }); // never valid, so never present
      }
      // The two rules are independent: change them in parallel.
      await Promise.all(
        FAMILIES.map(async (family: Family) => {
          const { add, remove } = byFamily[family];
          if (add.size === 0 && remove.size === 0) return;
          // With a bad config only removals get here, and they write nothing but the ranges.
          const t = { clients, settings, resource, config, family, ruleName: ruleNames[family], rangesOnly: !!addBlocker };
          const out = await syncFamily(t, [...add.values()], [...remove.values()]);
          copyBack(add, out.added, result.added);
          copyBack(remove, out.removed, result.removed);
          logFailures(resource, ruleNames[family], out);
        }),
      );
      return result;
    },
  };

  function logFailures(resource: ResourceTarget, rule: string, out: FamilyOutcomes): void {
    const failed = [...out.added, ...out.removed].filter(([, o]) => !o.ok) as [string, { ok: false; error: ProviderError }][];
    if (failed.length === 0) return;
    const { code, retryable, message } = failed[0]![1].error;
    log.warn({ resourceId: resource.id, rule, failed: failed.length, code, retryable }, message);
  }
}

function copyBack(names: Map<string, string>, from: Map<string, CidrOutcome>, to: Map<string, CidrOutcome>): void {
  for (const [raw, canonical] of names) to.set(raw, from.get(canonical) ?? { ok: true });
}

function invalidCidr(raw: string): ProviderError {
  return new ProviderError('INVALID_CIDR', `"${raw}" is not an IPv4 or IPv6 CIDR that a firewall rule can hold`, { retryable: false });
}
