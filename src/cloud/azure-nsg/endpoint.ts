import { AZURE_CLOUDS, AzureEndpoint } from '../../shared/cloud-endpoints.ts';
import type { ResourceTarget } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { resolveEndpoint } from '../endpoints.ts';

/** Where one resource's ARM calls and token requests go. Unset fields = the SDK's public-cloud defaults. */
export interface AzureTarget {
  armEndpoint?: string | undefined;
  authorityHost?: string | undefined;
  /** Entra ID checks an unknown authority against Microsoft's list unless told not to: off for an explicit host. */
  disableInstanceDiscovery: boolean;
  /** The ARM token scope: the SDK asks for the public cloud's whatever the endpoint, so it is always given. */
  scope: string;
  pollIntervalMs?: number | undefined;
}

/**
 * The resource's Azure cloud from its endpoint settings (credential's, then resource's), then the
 * test overrides. A named cloud supplies both endpoints; explicit ones replace them.
 */
export function azureTarget(resource: ResourceTarget, deps: ProviderDeps): AzureTarget {
  const e = resolveEndpoint(AzureEndpoint, resource);
  const o = deps.overrides?.azure;
  const cloud = e.cloud ? AZURE_CLOUDS[e.cloud] : undefined;
  const armEndpoint = e.armEndpoint ?? cloud?.armEndpoint ?? o?.endpoint;
  const authorityHost = e.authorityHost ?? cloud?.authorityHost ?? o?.authorityHost;
  const audience = e.armAudience ?? (e.cloud || !e.armEndpoint ? (cloud ?? AZURE_CLOUDS.public).armEndpoint : e.armEndpoint);
  return {
    armEndpoint,
    authorityHost,
    disableInstanceDiscovery: authorityHost !== undefined && authorityHost !== cloud?.authorityHost,
    scope: `${audience.replace(/\/+$/, '')}/.default`,
    pollIntervalMs: e.pollIntervalMs ?? o?.pollIntervalMs,
  };
}
