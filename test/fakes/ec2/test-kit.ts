/**
 * Wiring for tests and the benchmark: ProviderDeps that point the real AWS SDK clients at a
 * FakeEc2 with injected credentials (never the default chain) and fast retries, plus resources.
 */
import { randomUUID } from 'node:crypto';
import type { ProviderDeps } from '../../../src/cloud/deps.ts';
import type { CredentialRef, PortRange, ResourceTarget } from '../../../src/engine/ports.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { FAKE_ACCESS_KEY, type FakeEc2 } from './fake-ec2.ts';

export const TEST_SECRET_REF = 'env:TEST_AWS_KEYS';
export const TEST_SECRET = JSON.stringify({ accessKeyId: FAKE_ACCESS_KEY, secretAccessKey: 'fake-secret' });

export function awsTestDeps(
  fake: FakeEc2,
  opts: { secrets?: Record<string, string>; overrides?: NonNullable<NonNullable<ProviderDeps['overrides']>['aws']> } = {},
): ProviderDeps {
  const secrets: Record<string, string> = { [TEST_SECRET_REF]: TEST_SECRET, ...opts.secrets };
  return {
    secrets: { resolve: async (ref) => secrets[ref] },
    logger: createLogger({ level: 'silent' }),
    overrides: {
      aws: { endpoint: fake.endpoint, maxAttempts: 2, retryDelayMs: 1, requestTimeoutMs: 3_000, pollIntervalMs: 2, ...opts.overrides },
    },
  };
}

export function testCredential(over: Partial<CredentialRef> = {}): CredentialRef {
  return { name: 'aws-test', provider: 'aws', secretRef: TEST_SECRET_REF, options: {}, ...over };
}

export function awsResource(kind: 'aws-security-group' | 'aws-prefix-list', identifier: string, over: Partial<ResourceTarget> = {}): ResourceTarget {
  const id = randomUUID();
  const ports: PortRange[] = [{ protocol: 'tcp', from: 22, to: 22 }];
  const name = `${kind}-${id.slice(0, 8)}`;
  return { id, orgId: 'org-test', name, kind, identifier, region: 'eu-west-1', ports, config: {}, credential: testCredential(), ...over };
}
