import type { Logger } from '../shared/logger.ts';
import type { SecretResolver } from '../engine/ports.ts';

/**
 * What every provider factory receives. `overrides` exist for tests and the benchmark only:
 * fixed retry delays, short timeouts, a test CA, and endpoints for the in-process kits. They sit
 * beneath a resource's own `endpoint:` settings (org file, cloud/endpoints.ts), which is how
 * production (and the end-to-end test of the real process) reaches other clouds and emulators.
 * Production leaves them unset.
 */
export interface ProviderDeps {
  secrets: SecretResolver;
  logger: Logger;
  overrides?: CloudOverrides;
}

export interface CloudOverrides {
  /**
   * `endpoint` serves EC2 (and STS unless `stsEndpoint` is set); `retryDelayMs` swaps the SDK's
   * backoff for a fixed delay; `pollIntervalMs` is how long to wait on a busy prefix list.
   */
  aws?: {
    endpoint?: string;
    stsEndpoint?: string;
    maxAttempts?: number;
    retryDelayMs?: number;
    requestTimeoutMs?: number;
    connectionTimeoutMs?: number;
    pollIntervalMs?: number;
  };
  /**
   * `endpoint` is ARM, `authorityHost` Entra ID (instance discovery is then off), `tlsCa` a PEM
   * both trust; `pollIntervalMs` replaces the long-running-operation poll interval; `maxRetries`
   * and `retryDelayMs` tune the SDK's own retries of 5xx, network errors and 429 with Retry-After.
   */
  azure?: {
    endpoint?: string;
    authorityHost?: string;
    tlsCa?: string;
    pollIntervalMs?: number;
    maxRetries?: number;
    retryDelayMs?: number;
  };
  /** `endpoint` e.g. `http://127.0.0.1:4010` (compute REST); `tokenUri` receives the service-account JWT grant. */
  gcp?: { endpoint?: string; tokenUri?: string; timeoutMs?: number; operationTimeoutMs?: number; retryDelayMs?: number };
  script?: { shell?: string };
}
