import { randomUUID } from 'node:crypto';
import { createAzureNsgProvider } from '../../../src/cloud/azure-nsg/azure-nsg-provider.ts';
import type { CloudOverrides } from '../../../src/cloud/deps.ts';
import type { FirewallProvider, PortRange, ResourceTarget } from '../../../src/engine/ports.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import type { FakeRole } from './fake-aad.ts';
import { startFakeAzure, type FakeAzure } from './fake-azure-arm.ts';

export interface AzureTestSetup {
  fake: FakeAzure;
  provider: FirewallProvider;
  overrides: NonNullable<CloudOverrides['azure']>;
  /** A fresh NSG and a resource on it, with a service principal of `role` behind its credential. */
  newResource(opts?: { ports?: PortRange[]; config?: Record<string, unknown>; role?: FakeRole; name?: string }): ResourceTarget;
  close(): Promise<void>;
}

/**
 * The real provider, real ARM client and real ClientSecretCredential, pointed at the loopback
 * fake: ARM endpoint, authority host and CA come from deps.overrides.azure, secrets from an
 * in-memory resolver (`env:AZ_TEST_<n>` → the principal's JSON).
 */
export async function setupAzure(opts: { latencyMs?: number; overrides?: Partial<NonNullable<CloudOverrides['azure']>> } = {}): Promise<AzureTestSetup> {
  const fake = await startFakeAzure({ latencyMs: opts.latencyMs });
  const secrets = new Map<string, string>();
  const overrides = {
    endpoint: fake.endpoint,
    authorityHost: fake.authorityHost,
    tlsCa: fake.ca,
    pollIntervalMs: 5,
    maxRetries: 2,
    retryDelayMs: 5,
    ...opts.overrides,
  };
  const provider = createAzureNsgProvider({
    secrets: { resolve: async (ref) => secrets.get(ref) },
    logger: createLogger({ level: 'silent' }),
    overrides: { azure: overrides },
  });
  let n = 0;
  return {
    fake,
    provider,
    overrides,
    newResource(o = {}) {
      n += 1;
      const principal = fake.addPrincipal({ role: o.role ?? 'contributor' });
      const ref = `env:AZ_TEST_${n}`;
      secrets.set(ref, principal.secretJson);
      const identifier = fake.addNsg({ subscriptionId: randomUUID(), resourceGroup: 'rg-entryguard', name: `nsg-${n}` });
      return {
        id: randomUUID(),
        orgId: 'org',
        name: o.name ?? `azure-${n}`,
        kind: 'azure-nsg',
        identifier,
        region: null,
        ports: o.ports ?? [{ protocol: 'tcp', from: 22, to: 22 }],
        config: { priority: 300, ...o.config },
        credential: { name: `azure-${n}`, provider: 'azure', secretRef: ref, options: {} },
      };
    },
    close: () => fake.close(),
  };
}

/** The CIDRs our rules of a resource hold in the fake's state (not read through the provider). */
export function managedCidrs(fake: FakeAzure, resource: ResourceTarget): string[] {
  const base = String(resource.config.ruleName ?? `entryguard-${resource.id}`).toLowerCase();
  const all = fake
    .rules(resource.identifier)
    .filter((r) => r.name.toLowerCase().startsWith(`${base}-`))
    .flatMap((r) => r.properties.sourceAddressPrefixes ?? []);
  return [...new Set(all)].sort();
}
