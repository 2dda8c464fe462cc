import type { Db } from '../../src/db/client.ts';
import { credentials, resources } from '../../src/db/schema/index.ts';
import { createProviderRegistry } from '../../src/cloud/registry.ts';
import type { ProviderRegistry } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2/fake-ec2.ts';
import { TEST_SECRET, TEST_SECRET_REF } from '../fakes/ec2/test-kit.ts';
import { startFakeAzure, type FakeAzure } from '../fakes/azure/fake-azure-arm.ts';
import { startFakeGcp, type FakeGcp } from '../fakes/gcp/fake-gcp-compute.ts';
import { createServiceAccount } from '../fakes/gcp/fake-oauth.ts';

const GCP_PROJECT = 'eg-lab';
const AZURE_REF = 'env:LAB_AZURE_PRINCIPAL';
const GCP_REF = 'env:LAB_GCP_SERVICE_ACCOUNT';

export type CloudKind = 'aws-security-group' | 'azure-nsg' | 'gcp-firewall';
export type ResourceRow = typeof resources.$inferSelect;

/**
 * The three cloud emulators on loopback and the production provider registry; the credentials it
 * seeds point at the emulators through their `endpoint` settings. The real EC2, ARM and Compute SDK clients, real credential flows (SigV4 keys, an Azure
 * service principal, a GCP service-account JWT), secrets behind `env:` references.
 */
export interface CloudLab {
  ec2: FakeEc2;
  azure: FakeAzure;
  gcp: FakeGcp;
  registry: ProviderRegistry;
  /** Credentials and one verified resource per kind (or `count` each) in an org. */
  seedResources(db: Db, orgId: string, opts?: { kinds?: CloudKind[]; count?: number; config?: Partial<Record<CloudKind, Record<string, unknown>>> }): Promise<ResourceRow[]>;
  /** The CIDRs the emulator holds for a resource, read from its state. */
  cloudCidrs(resource: ResourceRow): string[];
  /** The credentials' secrets as the environment a separate EntryGuard process resolves `env:` references from. */
  secretEnv(): Record<string, string>;
  /** Requests each emulator has received, faulted ones included. */
  calls(): Record<'aws' | 'azure' | 'gcp', number>;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startCloudLab(opts: { latencyMs?: number } = {}): Promise<CloudLab> {
  const [ec2, azure, gcp] = await Promise.all([startFakeEc2(opts), startFakeAzure(opts), startFakeGcp(opts)]);
  const principal = azure.addPrincipal({ role: 'contributor' });
  const serviceAccount = createServiceAccount(gcp.oauth, { project: GCP_PROJECT, tokenUri: gcp.tokenUri });
  const secrets: Record<string, string> = { [TEST_SECRET_REF]: TEST_SECRET, [AZURE_REF]: principal.secretJson, [GCP_REF]: serviceAccount.json };
  const registry = createProviderRegistry({
    secrets: { resolve: async (ref) => secrets[ref] },
    logger: createLogger({ level: 'silent' }),
    // Tuning only: the emulators' addresses are in the credentials' endpoint settings (below).
    overrides: {
      aws: { maxAttempts: 2, retryDelayMs: 1, requestTimeoutMs: 5_000, pollIntervalMs: 2 },
      azure: { tlsCa: azure.ca, pollIntervalMs: 5, maxRetries: 1, retryDelayMs: 5 },
      gcp: { timeoutMs: 5_000, operationTimeoutMs: 5_000, retryDelayMs: 10 },
    },
  });
  // Where each emulator listens, as an operator writes it in the org file (README, Endpoints).
  const endpoints = {
    aws: { url: ec2.endpoint },
    azure: { armEndpoint: azure.endpoint, authorityHost: azure.authorityHost },
    gcp: { apiEndpoint: gcp.endpoint, tokenUrl: gcp.tokenUri },
  };
  let n = 0;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

  return {
    ec2,
    azure,
    gcp,
    registry,
    async seedResources(db, orgId, o = {}) {
      const [aws, az, gc] = await db
        .insert(credentials)
        .values([
          { orgId, name: `aws-${++n}`, provider: 'aws', secretRef: TEST_SECRET_REF, options: { endpoint: endpoints.aws } },
          { orgId, name: `azure-${n}`, provider: 'azure', secretRef: AZURE_REF, options: { endpoint: endpoints.azure } },
          { orgId, name: `gcp-${n}`, provider: 'gcp', secretRef: GCP_REF, options: { endpoint: endpoints.gcp } },
        ])
        .returning();
      const rows: ResourceRow[] = [];
      for (const kind of o.kinds ?? (['aws-security-group', 'azure-nsg', 'gcp-firewall'] as const)) {
        for (let i = 0; i < (o.count ?? 1); i++) {
          n += 1;
          const base = { orgId, name: `${kind}-${n}`, kind, ports: [{ protocol: 'tcp' as const, from: 22, to: 22 }], verifiedAt: new Date() };
          const values =
            kind === 'aws-security-group'
              ? { ...base, identifier: ec2.addGroup().groupId, region: 'eu-west-1', credentialId: aws!.id, config: o.config?.[kind] ?? {} }
              : kind === 'azure-nsg'
                ? { ...base, identifier: azure.addNsg({ name: `nsg-lab-${n}` }), credentialId: az!.id, config: { priority: 300, ...o.config?.[kind] } }
                : { ...base, identifier: `eg-lab-${n}`, credentialId: gc!.id, config: { project: GCP_PROJECT, network: 'default', ...o.config?.[kind] } };
          const [row] = await db.insert(resources).values(values).returning();
          rows.push(row!);
        }
      }
      return rows;
    },
    cloudCidrs(r) {
      if (r.kind === 'aws-security-group') {
        return [...new Set(ec2.inboundRules(r.identifier, { key: 'entryguard:resource', value: r.id }).map((x) => x.cidrIpv4 ?? x.cidrIpv6!))].sort();
      }
      if (r.kind === 'azure-nsg') {
        const prefix = `entryguard-${r.id}-`.toLowerCase();
        return [...new Set(azure.rules(r.identifier).filter((x) => x.name.toLowerCase().startsWith(prefix)).flatMap((x) => x.properties.sourceAddressPrefixes ?? []))].sort();
      }
      return ['v4', 'v6'].flatMap((f) => gcp.firewall(GCP_PROJECT, `${r.identifier}-${f}`)?.sourceRanges ?? []).sort();
    },
    secretEnv: () => Object.fromEntries(Object.entries(secrets).map(([ref, value]) => [ref.slice('env:'.length), value])),
    calls: () => ({ aws: sum(ec2.calls), azure: sum(azure.calls), gcp: sum(gcp.calls) }),
    clearFaults() {
      ec2.clearFaults();
      azure.clearFaults();
      gcp.resetFaults();
    },
    close: async () => {
      await Promise.all([ec2.close(), azure.close(), gcp.close()]);
    },
  };
}
