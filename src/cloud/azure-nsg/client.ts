import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import { createNetworkManagement, type NetworkManagementClientOptionalParams } from '@azure/arm-network/api';
import type { TokenCredential } from '@azure/core-auth';
import type { ResourceTarget } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import type { AzureNsgId } from './config.ts';
import { resolveCredential } from './credential.ts';
import { azureTarget } from './endpoint.ts';
import { toProviderError } from './errors.ts';
import type { RuleBody, RuleView } from './slots.ts';

/**
 * The SDK boundary: everything the provider does to one NSG, with SDK types in and out of
 * here only. Every method throws ProviderError (mapped once, in errors.ts).
 */
export interface NsgApi {
  /** Display name for messages: `<resource group>/<nsg>`. */
  readonly label: string;
  /** The NSG's own security rules (default rules excluded) in one GET. */
  getRules(signal: AbortSignal): Promise<RuleView[]>;
  /** Creates or replaces a rule and waits for its long-running operation. */
  putRule(name: string, body: RuleBody, signal: AbortSignal): Promise<void>;
  /** Deletes a rule and waits; a missing rule is success. */
  deleteRule(name: string, signal: AbortSignal): Promise<void>;
  /** Actions the caller holds on the NSG (Microsoft.Authorization/permissions). */
  permissions(signal: AbortSignal): Promise<{ actions: string[]; notActions: string[] }[]>;
}

/** Permissions are read with the generic ARM client, at this (stable, long-lived) api-version. */
const PERMISSIONS_API_VERSION = '2022-04-01';
const MAX_CACHED = 64;

interface CachedClient {
  credential: TokenCredential;
  network: NetworkManagementClient;
  options: NetworkManagementClientOptionalParams;
  /** Generic ARM client for the permissions read; made on first verify. */
  rest?: ReturnType<typeof createNetworkManagement>;
}

/**
 * One SDK client per (subscription, credential, cloud endpoints): they hold token caches and
 * keep-alive agents. Two resources in different clouds get different clients (and tokens).
 */
export function createNsgApiFactory(deps: ProviderDeps) {
  const cache = new Map<string, CachedClient>();
  const o = deps.overrides?.azure;

  return async function forNsg(nsg: AzureNsgId, resource: ResourceTarget): Promise<NsgApi> {
    const target = azureTarget(resource, deps);
    const resolved = await resolveCredential(resource.credential, deps, resource.name, target);
    const key = JSON.stringify([nsg.subscriptionId, resolved.key, target.armEndpoint ?? null, target.scope]);
    let entry = cache.get(key);
    if (!entry) {
      const options: NetworkManagementClientOptionalParams = {
        ...(target.armEndpoint ? { endpoint: target.armEndpoint } : {}),
        credentials: { scopes: [target.scope] },
        ...(o?.tlsCa ? { tlsOptions: { ca: o.tlsCa } } : {}),
        retryOptions: { maxRetries: o?.maxRetries ?? 3, retryDelayInMs: o?.retryDelayMs ?? 800, maxRetryDelayInMs: 10_000 },
        userAgentOptions: { userAgentPrefix: 'entryguard' },
      };
      const credential = resolved.create();
      entry = { credential, network: new NetworkManagementClient(credential, nsg.subscriptionId, options), options };
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, entry);
    }
    // Unset: the SDK's 2 s, or the service's Retry-After (NRP sends 10 s).
    return bind(entry, nsg, target.pollIntervalMs !== undefined ? { updateIntervalInMs: target.pollIntervalMs } : {});
  };
}

function bind(c: CachedClient, nsg: AzureNsgId, lro: { updateIntervalInMs?: number }): NsgApi {
  const label = `${nsg.resourceGroup}/${nsg.name}`;
  const fail = (action: string) => (err: unknown) => {
    throw toProviderError(err, { nsg: label, action });
  };
  return {
    label,
    async getRules(abortSignal) {
      const got = await c.network.networkSecurityGroups.get(nsg.resourceGroup, nsg.name, { abortSignal }).catch(fail('read the NSG'));
      return (got.securityRules ?? []).map(toView);
    },
    async putRule(name, body, abortSignal) {
      await c.network.securityRules
        .createOrUpdate(nsg.resourceGroup, nsg.name, name, toSecurityRule(body), { abortSignal, ...lro })
        .catch(fail(`write rule ${name}`));
    },
    async deleteRule(name, abortSignal) {
      await c.network.securityRules.delete(nsg.resourceGroup, nsg.name, name, { abortSignal, ...lro }).catch(fail(`delete rule ${name}`));
    },
    async permissions(abortSignal) {
      const rest = (c.rest ??= createNetworkManagement(c.credential, nsg.subscriptionId, c.options));
      const res = await rest
        .pathUnchecked(`${nsg.id}/providers/Microsoft.Authorization/permissions`)
        .get({ queryParameters: { 'api-version': PERMISSIONS_API_VERSION }, abortSignal })
        .then(
          (r) => r,
          (err: unknown) => fail('read its permissions')(err),
        );
      const body = res.body as { value?: { actions?: string[]; notActions?: string[] }[]; error?: { code?: string; message?: string } };
      if (res.status !== '200') {
        fail('read its permissions')({ statusCode: Number(res.status), code: body?.error?.code, message: body?.error?.message });
      }
      return (body.value ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [] }));
    },
  };
}

function toView(r: SecurityRule): RuleView {
  const prefixes = r.sourceAddressPrefixes?.length ? r.sourceAddressPrefixes : r.sourceAddressPrefix ? [r.sourceAddressPrefix] : [];
  const ports = r.destinationPortRanges?.length ? r.destinationPortRanges : r.destinationPortRange ? [r.destinationPortRange] : [];
  const sourcePorts = r.sourcePortRanges?.length ? r.sourcePortRanges : r.sourcePortRange ? [r.sourcePortRange] : [];
  return {
    name: r.name ?? '',
    priority: r.priority ?? -1,
    direction: r.direction ?? '',
    access: r.access ?? '',
    protocol: r.protocol ?? '',
    description: r.description ?? '',
    sourcePrefixes: prefixes,
    sourcePorts,
    destinationPorts: ports,
    destinationAddressPrefix: r.destinationAddressPrefix ?? '',
  };
}

function toSecurityRule(b: RuleBody): SecurityRule {
  return {
    description: b.description,
    protocol: b.protocol,
    access: b.access,
    direction: b.direction,
    priority: b.priority,
    sourcePortRange: b.sourcePortRange,
    // Azure takes either the single or the plural field, never both.
    ...(b.destinationPorts.length === 1 ? { destinationPortRange: b.destinationPorts[0] } : { destinationPortRanges: b.destinationPorts }),
    sourceAddressPrefixes: b.sourcePrefixes,
    destinationAddressPrefix: b.destinationAddressPrefix,
  };
}
