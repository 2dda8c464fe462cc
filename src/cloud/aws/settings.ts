import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { CloudOverrides } from '../deps.ts';

export type AwsOverrides = NonNullable<CloudOverrides['aws']>;

/** A hung connection must end as a retryable TIMEOUT, not hold a sync job forever. */
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Settings shared by the EC2 and STS clients. Production uses the SDK's standard retry mode (3
 * attempts, jittered backoff); tests shorten it through overrides. Each call builds a fresh retry
 * strategy so clients never share a retry-token bucket.
 */
export function sdkCommonConfig(o: AwsOverrides = {}) {
  const retry =
    o.retryDelayMs !== undefined
      ? { retryStrategy: new ConfiguredRetryStrategy(o.maxAttempts ?? 3, () => o.retryDelayMs!) }
      : o.maxAttempts !== undefined
        ? { maxAttempts: o.maxAttempts }
        : {};
  return {
    ...retry,
    requestHandler: {
      requestTimeout: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: o.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  };
}
