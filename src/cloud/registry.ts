import type { FirewallProvider, ProviderRegistry } from '../engine/ports.ts';
import type { ProviderDeps } from './deps.ts';

type Factory = (deps: ProviderDeps) => FirewallProvider;

/**
 * Kind → module. Each module is imported only the first time a resource of that kind is used:
 * the cloud SDKs take hundreds of milliseconds and tens of MiB to load.
 */
const LOADERS: Record<string, () => Promise<Factory>> = {
  script: async () => (await import('./script/script-provider.ts')).createScriptProvider,
  'aws-security-group': async () => (await import('./aws-security-group/provider.ts')).createAwsSecurityGroupProvider,
  'aws-prefix-list': async () => (await import('./aws-prefix-list/provider.ts')).createAwsPrefixListProvider,
  'gcp-firewall': async () => (await import('./gcp-firewall/gcp-provider.ts')).createGcpFirewallProvider,
  'azure-nsg': async () => (await import('./azure-nsg/azure-nsg-provider.ts')).createAzureNsgProvider,
};

export const PROVIDER_KINDS = Object.keys(LOADERS);

export function isProviderKind(kind: string): boolean {
  return kind in LOADERS;
}

export function createProviderRegistry(deps: ProviderDeps): ProviderRegistry {
  const cache = new Map<string, Promise<FirewallProvider>>();
  return {
    kinds: () => PROVIDER_KINDS,
    get(kind) {
      const load = LOADERS[kind];
      if (!load) return Promise.reject(new Error(`unknown provider kind "${kind}"`));
      let provider = cache.get(kind);
      if (!provider) {
        provider = load().then((factory) => factory(deps));
        provider.catch(() => cache.delete(kind)); // a failed import may succeed next time
        cache.set(kind, provider);
      }
      return provider;
    },
  };
}
