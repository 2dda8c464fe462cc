import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Clients } from '../../src/cloud/aws/client.ts';
import { createAwsSecurityGroupProvider } from '../../src/cloud/aws-security-group/provider.ts';
import type { ProviderDeps } from '../../src/cloud/deps.ts';
import type { FirewallProvider } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { FAKE_ACCESS_KEY, startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { awsResource, testCredential, TEST_SECRET, TEST_SECRET_REF } from '../fakes/ec2/test-kit.ts';

const ROLE = 'arn:aws:iam::123456789012:role/entryguard-gov';

/**
 * The EC2 and STS clients built from the org file's `endpoint` settings alone: no test overrides,
 * so these are the settings production uses. Two emulators stand for two endpoints (say a VPC
 * interface endpoint in one account and the public API in another).
 */
describe('AWS endpoint settings', () => {
  let east: FakeEc2;
  let west: FakeEc2;
  let provider: FirewallProvider;

  beforeAll(async () => {
    [east, west] = await Promise.all([startFakeEc2(), startFakeEc2()]);
    west.addRole({ arn: ROLE, trustedKeys: [FAKE_ACCESS_KEY] });
    const deps: ProviderDeps = { secrets: { resolve: async (ref) => (ref === TEST_SECRET_REF ? TEST_SECRET : undefined) }, logger: createLogger({ level: 'silent' }) };
    provider = createAwsSecurityGroupProvider(deps);
  });
  afterAll(async () => {
    await Promise.all([east?.close(), west?.close()]);
  });

  it('sends each resource to its own endpoint: the resource\'s config, else its credential\'s', async () => {
    const onEast = awsResource('aws-security-group', east.addGroup().groupId, { config: { endpoint: { url: east.endpoint } } });
    const onWest = awsResource('aws-security-group', west.addGroup().groupId, {
      credential: testCredential({ name: 'aws-west', options: { endpoint: { url: west.endpoint } } }),
    });
    await expect(provider.apply(onEast, { add: ['198.51.100.1/32'], remove: [] })).resolves.toMatchObject({ added: new Map([['198.51.100.1/32', { ok: true }]]) });
    await expect(provider.apply(onWest, { add: ['198.51.100.2/32'], remove: [] })).resolves.toMatchObject({ added: new Map([['198.51.100.2/32', { ok: true }]]) });
    expect(east.inboundRules(onEast.identifier).map((r) => r.cidrIpv4)).toEqual(['198.51.100.1/32']);
    expect(west.inboundRules(onWest.identifier).map((r) => r.cidrIpv4)).toEqual(['198.51.100.2/32']);
    // The resource's own setting wins over its credential's.
    const moved = { ...onWest, config: { endpoint: { url: east.endpoint } } };
    await expect(provider.list(moved)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('assumes roles through stsUrl with the same endpoint settings', async () => {
    const r = awsResource('aws-security-group', west.addGroup().groupId, {
      credential: testCredential({ name: 'aws-role', options: { roleArn: ROLE, endpoint: { url: west.endpoint, stsUrl: west.endpoint } } }),
    });
    await provider.apply(r, { add: ['198.51.100.3/32'], remove: [] });
    expect(west.assumeRoleCalls.map((c) => c.roleArn)).toEqual([ROLE]);
    expect(west.inboundRules(r.identifier).map((x) => x.cidrIpv4)).toEqual(['198.51.100.3/32']);
  });

  it('applies maxAttempts and requestTimeoutMs from the settings', async () => {
    const r = awsResource('aws-security-group', east.addGroup().groupId, {
      config: { endpoint: { url: east.endpoint, maxAttempts: 1, requestTimeoutMs: 1_000, retryMode: 'standard' } },
    });
    east.resetCalls();
    east.throttle(1, 'DescribeSecurityGroupRules');
    await expect(provider.list(r)).rejects.toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(east.calls.DescribeSecurityGroupRules).toBe(1); // one attempt, no SDK retry
    east.hang(1, 'DescribeSecurityGroupRules');
    const started = Date.now();
    await expect(provider.list(r)).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(15_000); // the 1 s timeout, not the 20 s default
  });

  it('builds a FIPS client with the adaptive retry mode (resolved, never called: FIPS hosts are not on loopback)', async () => {
    const clients = createEc2Clients({ secrets: { resolve: async () => TEST_SECRET }, logger: createLogger({ level: 'silent' }) });
    const r = awsResource('aws-security-group', 'sg-0123456789abcdef0', { region: 'us-east-1', config: { endpoint: { useFipsEndpoint: true, maxAttempts: 4, retryMode: 'adaptive' } } });
    const config = (await clients.forResource(r)).config as unknown as {
      useFipsEndpoint(): Promise<boolean>;
      maxAttempts(): Promise<number>;
      retryStrategy(): Promise<{ mode: string }>;
      endpointProvider(p: { Region: string; UseFIPS: boolean; UseDualStack: boolean }): { url: URL };
    };
    expect([await config.useFipsEndpoint(), await config.maxAttempts(), (await config.retryStrategy()).mode]).toEqual([true, 4, 'adaptive']);
    expect(config.endpointProvider({ Region: 'us-east-1', UseFIPS: await config.useFipsEndpoint(), UseDualStack: false }).url.host).toBe('ec2-fips.us-east-1.amazonaws.com');
    clients.destroy();
  });

  it('refuses plain http to another machine and FIPS with a custom URL before any call', async () => {
    const calls = east.requests.length;
    const http = awsResource('aws-security-group', 'sg-0123456789abcdef0', { config: { endpoint: { url: 'http://ec2.internal.example:8080' } } });
    await expect(provider.list(http)).rejects.toMatchObject({ code: 'INVALID_CONFIG', retryable: false, message: expect.stringMatching(/endpoint\.url: must use https:\/\//) });
    const fips = awsResource('aws-security-group', 'sg-0123456789abcdef0', { config: { endpoint: { url: east.endpoint, useFipsEndpoint: true } } });
    await expect(provider.list(fips)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/useFipsEndpoint/) });
    expect(east.requests.length).toBe(calls);
  });
});
