import { randomUUID } from 'node:crypto';
import { createGcpFirewallProvider } from '../../../src/cloud/gcp-firewall/gcp-provider.ts';
import type { CloudOverrides } from '../../../src/cloud/deps.ts';
import type { FirewallProvider, PortRange, ResourceTarget } from '../../../src/engine/ports.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import type { FirewallJson } from './compute-model.ts';
import { createServiceAccount, type TestServiceAccount } from './fake-oauth.ts';
import { startFakeGcp, type FakeGcp } from './fake-gcp-compute.ts';

export const TEST_PROJECT = 'eg-test-proj';
export const KEY_REF = 'env:EG_GCP_TEST_KEY';

/**
 * The real gcp-firewall provider wired to a fresh fake: a runtime-generated service-account key
 * behind a `env:` reference, the compute endpoint and token endpoint via deps.overrides.gcp only,
 * and short timeouts so fault tests stay fast.
 */
export interface GcpTestEnv {
  fake: FakeGcp;
  provider: FirewallProvider;
  serviceAccount: TestServiceAccount;
  /** What `deps.secrets.resolve` answers; tests may add or change entries. */
  secrets: Map<string, string>;
  newResource(opts?: { config?: Record<string, unknown>; ports?: PortRange[]; secretRef?: string }): ResourceTarget;
  rule(resource: ResourceTarget, family: 'v4' | 'v6'): FirewallJson | undefined;
  /** Source ranges of both our rules, read from the fake's state. */
  cloudCidrs(resource: ResourceTarget): string[];
  close(): Promise<void>;
}

export async function createGcpTestEnv(opts: { latencyMs?: number; gcp?: CloudOverrides['gcp'] } = {}): Promise<GcpTestEnv> {
  const fake = await startFakeGcp({ latencyMs: opts.latencyMs });
  const serviceAccount = createServiceAccount(fake.oauth, { project: TEST_PROJECT, tokenUri: fake.tokenUri });
  const secrets = new Map([[KEY_REF, serviceAccount.json]]);
  const provider = createGcpFirewallProvider({
    secrets: { resolve: async (ref) => secrets.get(ref) },
    logger: createLogger({ level: 'silent' }),
    overrides: {
      gcp: { endpoint: fake.endpoint, tokenUri: fake.tokenUri, timeoutMs: 2_000, operationTimeoutMs: 3_000, retryDelayMs: 10, ...opts.gcp },
    },
  });
  let n = 0;
  const ruleName = (r: ResourceTarget, family: string) => `${(r.config.namePrefix as string | undefined) ?? ''}${r.identifier}-${family}`;
  const rule = (r: ResourceTarget, family: 'v4' | 'v6') => fake.firewall(String(r.config.project), ruleName(r, family));

  const env: GcpTestEnv = {
    fake,
    provider,
    serviceAccount,
    secrets,
    newResource(o = {}) {
      n += 1;
      return {
        id: randomUUID(),
        orgId: 'org-1',
        name: `gcp-${n}`,
        kind: 'gcp-firewall',
        identifier: `eg-t${n}`,
        region: null,
        ports: o.ports ?? [{ protocol: 'tcp', from: 22, to: 22 }],
        config: { project: TEST_PROJECT, network: 'default', ...o.config },
        credential: { name: 'gcp-test', provider: 'gcp', secretRef: o.secretRef ?? KEY_REF, options: {} },
      };
    },
    rule,
    cloudCidrs: (r) => [...(rule(r, 'v4')?.sourceRanges ?? []), ...(rule(r, 'v6')?.sourceRanges ?? [])],
    close: () => fake.close(),
  };
  // Build one set of SDK clients up front (proto parsing takes seconds on a busy 2-core box), in
  // the hook's time budget rather than the first test's; its own project keeps the per-(project,
  // credential) client cache and the token counters of the tests untouched.
  await provider.verify(env.newResource({ config: { project: 'eg-warm-up' } }));
  fake.resetCounters();
  return env;
}
