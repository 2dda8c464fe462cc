import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import type { FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';
import { FAKE_ACCESS_KEY, startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, awsTestDeps, testCredential } from '../fakes/ec2/test-kit.ts';

const A = '198.51.100.7/32';
const ROLE = 'arn:aws:iam::123456789012:role/entryguard-prod';

describe('AWS credentials', () => {
  let fake: FakeEc2;
  let provider: FirewallProvider;
  let resource: ResourceTarget;

  beforeAll(async () => {
    fake = await startFakeEc2();
    fake.addRole({ arn: ROLE, externalId: 'eg-ext-42', trustedKeys: [FAKE_ACCESS_KEY] });
    provider = createAwsSecurityGroupProvider(
      awsTestDeps(fake, {
        secrets: {
          'env:BROKEN': '{"accessKeyId": "AKIDFAKE", "secretAccessKey": "not-closed"',
          'file:/run/secrets/partial': JSON.stringify({ accessKeyId: 'AKIDFAKE' }),
          'env:UNKNOWN_KEY': JSON.stringify({ accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' }),
        },
      }),
    );
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.resetCalls();
    fake.assumeRoleCalls.length = 0;
    resource = awsResource('aws-security-group', fake.addGroup().groupId);
  });

  it('assumes a role with the external id and works with its temporary keys', async () => {
    resource.credential = testCredential({ name: 'aws-assume', options: { roleArn: ROLE, externalId: 'eg-ext-42', sessionName: 'entryguard-test' } });
    const result = await provider.apply(resource, { add: [A], remove: [] });
    expect(result.added.get(A)).toMatchObject({ ok: true });
    expect(fake.assumeRoleCalls).toEqual([{ roleArn: ROLE, externalId: 'eg-ext-42', sessionName: 'entryguard-test', callerKey: FAKE_ACCESS_KEY }]);
    const ec2Keys = new Set(fake.requests.filter((r) => r.action !== 'AssumeRole').map((r) => r.accessKeyId));
    expect([...ec2Keys].every((k) => k?.startsWith('ASIA'))).toBe(true);
    // The client (and its memoised role credentials) is reused for the same region and credential.
    await provider.list(resource);
    await provider.list(awsResource('aws-security-group', fake.addGroup().groupId, { credential: resource.credential }));
    expect(fake.assumeRoleCalls).toHaveLength(1);
  });

  it('refuses a wrong external id as a permanent FORBIDDEN', async () => {
    resource.credential = testCredential({ name: 'aws-wrong-ext', options: { roleArn: ROLE, externalId: 'guessed' } });
    await expect(provider.apply(resource, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'FORBIDDEN', retryable: false });
    expect(fake.assumeRoleCalls[0]?.externalId).toBe('guessed');
  });

  it('validates credential options', async () => {
    resource.credential = testCredential({ name: 'aws-typo', options: { rolearn: ROLE } });
    await expect(provider.list(resource)).rejects.toMatchObject({ code: 'CREDENTIAL_INVALID', retryable: false });
    resource.credential = testCredential({ name: 'aws-noarn', options: { externalId: 'x1' } });
    await expect(provider.list(resource)).rejects.toMatchObject({ code: 'CREDENTIAL_INVALID' });
  });

  it('explains a missing, malformed or incomplete secret without echoing it', async () => {
    const cases: [string, string][] = [
      ['env:NOT_SET', 'CREDENTIAL_MISSING'],
      ['env:BROKEN', 'CREDENTIAL_INVALID'],
      ['file:/run/secrets/partial', 'CREDENTIAL_INVALID'],
    ];
    for (const [secretRef, code] of cases) {
      resource.credential = testCredential({ name: 'aws-bad', secretRef });
      const err = await provider.list(resource).then(() => undefined, (e: Error & { code?: string }) => e);
      expect(err).toMatchObject({ code, retryable: false });
      expect(err?.message).toContain(secretRef);
      expect(err?.message).not.toContain('not-closed');
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('maps an unknown access key to a permanent AUTH_FAILED', async () => {
    resource.credential = testCredential({ name: 'aws-unknown', secretRef: 'env:UNKNOWN_KEY' });
    await expect(provider.apply(resource, { add: [A], remove: [] })).rejects.toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });

  it('uses a rotated secret at once (new fingerprint, new client)', async () => {
    const secrets: Record<string, string> = { 'env:ROTATING': JSON.stringify({ accessKeyId: 'AKIDOLD', secretAccessKey: 'x' }) };
    const p = createAwsSecurityGroupProvider({ ...awsTestDeps(fake), secrets: { resolve: async (ref) => secrets[ref] } });
    resource.credential = testCredential({ name: 'aws-rotating', secretRef: 'env:ROTATING' });
    await expect(p.list(resource)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    secrets['env:ROTATING'] = JSON.stringify({ accessKeyId: FAKE_ACCESS_KEY, secretAccessKey: 'x' });
    expect(await p.list(resource)).toEqual([]);
  });
});
