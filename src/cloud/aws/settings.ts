import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { AwsEndpoint } from '../../shared/cloud-endpoints.ts';
import type { CloudOverrides } from '../deps.ts';

export type AwsOverrides = NonNullable<CloudOverrides['aws']>;

/** A hung connection must end as a retryable TIMEOUT, not hold a sync job forever. */
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Settings shared by the EC2 and STS clients: the resource's endpoint settings (org file) first,
 * then the test overrides, then the SDK's standard retry mode (3 attempts, jittered backoff).
 * Tests may swap the backoff for a fixed delay (`retryDelayMs`). Each call builds a fresh retry
 * strategy so clients never share a retry-token bucket.
 */
export function sdkCommonConfig(o: AwsOverrides = {}, e: AwsEndpoint = {}) {
  const maxAttempts = e.maxAttempts ?? o.maxAttempts;
  const retry =
    o.retryDelayMs !== undefined
      ? { retryStrategy: new ConfiguredRetryStrategy(maxAttempts ?? 3, () => o.retryDelayMs!) }
      : { ...(maxAttempts !== undefined ? { maxAttempts } : {}), ...(e.retryMode ? { retryMode: e.retryMode } : {}) };
  return {
    ...retry,
    ...(e.useFipsEndpoint ? { useFipsEndpoint: true } : {}),
    requestHandler: {
      requestTimeout: e.requestTimeoutMs ?? o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: e.connectionTimeoutMs ?? o.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  };
}
