import type { ResourceTarget, VerifyResult } from '../../engine/ports.ts';
import { withFreshToken, type ClientCache } from './clients.ts';
import { FAMILIES, parseResource } from './config.ts';
import { toProviderError } from './errors.ts';
import { errorContext, readRule } from './family-sync.ts';
import type { GcpSettings } from './operations.ts';
import { ownershipError } from './rules.ts';

/** Codes that mean "the API or the target is not there" rather than "we may not touch it". */
const UNREACHABLE = new Set(['NETWORK_ERROR', 'TIMEOUT', 'UNAVAILABLE', 'RATE_LIMITED', 'NETWORK_NOT_FOUND', 'NOT_FOUND', 'UNEXPECTED']);

/**
 * Reads only: the network (it exists, the credential works and may read it), then our two rules
 * (none foreign under our names; room left per family). Compute has no dry-run for firewall writes,
 * so write permission shows on the first apply; the README lists what the role needs.
 */
export async function verifyResource(cache: ClientCache, settings: GcpSettings, resource: ResourceTarget): Promise<VerifyResult> {
  const none = { v4: null, v6: null };
  let config;
  let ruleNames;
  try {
    let addBlocker;
    ({ config, ruleNames, addBlocker } = parseResource(resource));
    if (addBlocker) throw addBlocker;
  } catch (err) {
    return { reachable: false, permitted: false, capacityLeft: none, message: (err as Error).message };
  }
  try {
    const clients = await cache.get(resource, config.project);
    const t = { clients, config, settings };
    try {
      const network = { project: config.project, network: config.network };
      await withFreshToken(clients, () => clients.networks.get(network, { timeout: settings.timeoutMs }));
    } catch (err) {
      throw toProviderError(err, errorContext(t, 'read', `network ${config.network}`));
    }
    const rules = await Promise.all(FAMILIES.map((f) => readRule(t, ruleNames[f])));
    const capacityLeft = { v4: config.maxSourceRanges, v6: config.maxSourceRanges };
    for (const [i, rule] of rules.entries()) {
      if (!rule) continue;
      const foreign = ownershipError(rule, resource, config);
      if (foreign) return { reachable: true, permitted: false, capacityLeft: none, message: foreign.message };
      capacityLeft[FAMILIES[i]!] = Math.max(0, config.maxSourceRanges - (rule.sourceRanges?.length ?? 0));
    }
    return { reachable: true, permitted: true, capacityLeft };
  } catch (err) {
    const mapped = toProviderError(err, { action: 'read', project: config.project, target: resource.name });
    return { reachable: !UNREACHABLE.has(mapped.code), permitted: false, capacityLeft: none, message: mapped.message };
  }
}
