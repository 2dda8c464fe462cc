import { z } from 'zod';
import { ProviderError, type ResourceTarget } from '../../engine/ports.ts';

/** Compute Engine resource names: RFC 1035 labels of 1–63 characters. */
export const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Rule names are `<namePrefix><identifier>-v4` / `-v6`; GCE rejects a rule that mixes IPv4 and
 * IPv6 in `sourceRanges`, so each family has its own rule.
 */
export const GcpFirewallConfig = z.object({
  /** Project that owns the VPC network (and therefore its firewall rules). */
  project: z
    .string()
    .regex(/^(?:[a-z][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'project must be a GCP project id such as "my-proj-123"'),
  /** VPC network name in that project, e.g. `default`. */
  network: z.string().regex(GCE_NAME, 'network must be a VPC network name such as "default"').default('default'),
  /** Instances the rule applies to; omitted = every instance in the network. */
  targetTags: z.array(z.string().regex(GCE_NAME, 'each target tag must be a lower-case GCE name')).max(70).optional(),
  priority: z.number().int().min(0).max(65535).default(1000),
  namePrefix: z.string().regex(/^(?:[a-z][-a-z0-9]*)?$/, 'namePrefix must start with a lower-case letter').default(''),
  /**
   * Source ranges per rule. Google documents 5,000 for firewall-policy rules; this is the
   * same default for VPC rules, and configurable in case the project's limit differs.
   */
  maxSourceRanges: z.number().int().min(1).max(5000).default(5000),
  /** Endpoint settings (shared/cloud-endpoints.ts), checked together with the credential's in cloud/endpoints.ts. */
  endpoint: z.unknown().optional(),
});
export type GcpFirewallConfig = z.infer<typeof GcpFirewallConfig>;

export type Family = 'v4' | 'v6';
export const FAMILIES: readonly Family[] = ['v4', 'v6'];

export interface ParsedResource {
  config: GcpFirewallConfig;
  ruleNames: Record<Family, string>;
  /**
   * Set when the config or ports are bad but the rules can still be found (project, network and
   * names are fine): additions fail with it, while list() and removals keep working, so a config
   * mistake never strands CIDRs in the cloud. `config` then holds defaults for everything else.
   */
  addBlocker?: ProviderError | undefined;
}

/** What locating our rules needs; the rest of the config matters only when writing new ranges. */
const Locator = GcpFirewallConfig.pick({ project: true, network: true, namePrefix: true });

/** Validates `resource.config` and derives the two rule names. Throws INVALID_CONFIG only when the rules cannot be located. */
export function parseResource(resource: ResourceTarget): ParsedResource {
  const parsed = GcpFirewallConfig.safeParse(resource.config);
  let addBlocker: ProviderError | undefined;
  let config: GcpFirewallConfig;
  if (parsed.success) config = parsed.data;
  else {
    addBlocker = invalidConfig(resource, describeIssue(parsed.error.issues[0]));
    const locator = Locator.safeParse(resource.config);
    if (!locator.success) throw invalidConfig(resource, describeIssue(locator.error.issues[0]));
    config = GcpFirewallConfig.parse(locator.data);
  }
  const base = `${config.namePrefix}${resource.identifier}`;
  const ruleNames = { v4: `${base}-v4`, v6: `${base}-v6` };
  if (!GCE_NAME.test(ruleNames.v4)) {
    throw invalidConfig(
      resource,
      `identifier "${resource.identifier}" (with namePrefix "${config.namePrefix}") does not give a valid GCE rule name ` +
        `"${ruleNames.v4}": use lower-case letters, digits and dashes, at most 60 characters in all`,
    );
  }
  if (!addBlocker && resource.ports.length === 0) {
    addBlocker = invalidConfig(resource, 'no ports configured: list at least one port range (use protocol "all" to allow everything)');
  }
  return { config, ruleNames, addBlocker };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  const where = issue?.path.length ? `config.${issue.path.join('.')}: ` : '';
  return `${where}${issue?.message ?? 'invalid'}`;
}

function invalidConfig(resource: ResourceTarget, detail: string): ProviderError {
  return new ProviderError('INVALID_CONFIG', `gcp-firewall resource "${resource.name}": ${detail}`, { retryable: false });
}
