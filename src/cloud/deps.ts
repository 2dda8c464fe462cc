import type { Logger } from '../shared/logger.ts';
import type { SecretResolver } from '../engine/ports.ts';

/**
 * What every provider factory receives. `overrides` exist for tests and the benchmark only:
 * they point the real SDK clients at loopback emulators. Production leaves them unset.
 */
export interface ProviderDeps {
  secrets: SecretResolver;
  logger: Logger;
  overrides?: CloudOverrides;
}

export interface CloudOverrides {
  aws?: { endpoint?: string; maxAttempts?: number };
  azure?: { endpoint?: string; authorityHost?: string; tlsCa?: string; pollIntervalMs?: number };
  gcp?: { endpoint?: string; tokenUri?: string };
  script?: { shell?: string };
}
