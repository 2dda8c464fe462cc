import type { EC2Client } from '@aws-sdk/client-ec2';
import { EC2Client as Ec2ClientClass } from './sdk.ts';
import type { ResourceTarget } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { readCredentialSpec } from './credentials.ts';
import { AwsEndpoint } from '../../shared/cloud-endpoints.ts';
import { endpointKey, resolveEndpoint } from '../endpoints.ts';
import { sdkCommonConfig } from './settings.ts';
import { requireRegion } from './target.ts';

export interface Ec2Clients {
  /** The client for the resource's (region, credential); built once and reused. Throws ProviderError. */
  forResource(resource: ResourceTarget): Promise<EC2Client>;
  /** Closes every cached client's sockets. */
  destroy(): void;
}

/** A replaced client may still have calls in flight; close it once they are surely done. */
const RETIRE_AFTER_MS = 120_000;

/**
 * One EC2 client per (region, credential, endpoint settings) for the life of a provider instance: clients hold
 * keep-alive sockets and memoised (assumed-role) credentials worth reusing. A rotated secret or
 * changed options replace the client in its slot.
 */
export function createEc2Clients(deps: ProviderDeps): Ec2Clients {
  const slots = new Map<string, { fingerprint: string; client: Promise<EC2Client> }>();
  return {
    async forResource(resource) {
      const region = requireRegion(resource);
      const endpoint = resolveEndpoint(AwsEndpoint, resource);
      const spec = await readCredentialSpec(deps, resource.credential);
      // Two resources on different endpoints (a VPC endpoint, FIPS, another retry budget) get different clients.
      const slot = JSON.stringify([region, resource.credential?.name ?? null, resource.credential?.secretRef ?? 'default', endpointKey(endpoint)]);
      const cached = slots.get(slot);
      if (cached?.fingerprint === spec.fingerprint) return cached.client;
      const aws = deps.overrides?.aws;
      const url = endpoint.url ?? (endpoint.useFipsEndpoint ? undefined : aws?.endpoint);
      const client = spec.build(region, endpoint).then(
        (credentials) =>
          new Ec2ClientClass({
            region,
            ...(url ? { endpoint: url } : {}),
            ...sdkCommonConfig(aws, endpoint),
            ...(credentials ? { credentials } : {}),
          }),
      );
      slots.set(slot, { fingerprint: spec.fingerprint, client });
      client.catch(() => slots.get(slot)?.client === client && slots.delete(slot));
      if (cached) {
        const old = cached.client;
        setTimeout(() => void old.then((c) => c.destroy(), () => {}), RETIRE_AFTER_MS).unref();
      }
      return client;
    },
    destroy() {
      for (const { client } of slots.values()) void client.then((c) => c.destroy(), () => {});
      slots.clear();
    },
  };
}
