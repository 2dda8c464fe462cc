import { z } from 'zod';
import { ProviderError, type ResourceTarget } from '../../engine/ports.ts';

/**
 * An `azure-nsg` resource: `identifier` is the NSG's full ARM id, `config` holds the rest.
 * The rules we manage are named `<ruleName>-<protocol>-v4|v6` (default ruleName
 * `entryguard-<resource id>`): Azure refuses a rule that mixes IPv4 and IPv6 prefixes, and one
 * rule carries one protocol, so each (protocol, family) pair has its own rule, at consecutive
 * priorities from `priority` (see README).
 */
export const AzureNsgConfig = z.strictObject({
  /** Priority of the first managed rule; the others follow (priority + 1, + 2 …). 100–4096. */
  priority: z.number().int().min(100, 'priority must be 100–4096').max(4096, 'priority must be 100–4096'),
  /** Base of the managed rules' names; `-tcp-v4` etc. is appended (Azure allows 80 characters). */
  ruleName: z
    .string()
    .regex(/^\w[\w.-]{0,70}$/, 'ruleName must start with a letter, digit or _, use only letters, digits, ., -, _ and be at most 71 characters')
    .optional(),
  /** What the opened ports lead to: `*` (default), a CIDR, or a service tag such as `VirtualNetwork`. */
  destinationAddressPrefix: z.string().min(1).default('*'),
  /** Azure allows 1,000 rules per NSG; lower it to leave room for others. */
  maxRules: z.number().int().min(1).max(1000).default(1000),
  /** Azure allows 4,000 source prefixes summed over an NSG's rules; lower it to leave room for others. */
  maxSourcePrefixes: z.number().int().min(1).max(4000).default(4000),
  /** How long one apply/list/verify may take in all, long-running operations included. */
  timeoutSeconds: z.number().positive().max(3600).default(300),
  /** Endpoint settings (shared/cloud-endpoints.ts), checked together with the credential's in cloud/endpoints.ts. */
  endpoint: z.unknown().optional(),
});
export type AzureNsgConfig = z.infer<typeof AzureNsgConfig>;

/** `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Network/networkSecurityGroups/<name>` */
export const AzureNsgId = z
  .string()
  .trim()
  .regex(
    /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Network\/networkSecurityGroups\/[-\w.]{1,80}$/i,
    'identifier must be the NSG resource id: /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/networkSecurityGroups/<name>',
  )
  .transform((id) => {
    const parts = id.split('/');
    return { id, subscriptionId: parts[2]!.toLowerCase(), resourceGroup: parts[4]!, name: parts[8]! };
  });
export type AzureNsgId = z.infer<typeof AzureNsgId>;

/** What a credential reference (`env:NAME` / `file:PATH`) must resolve to for a service principal. */
export const AzureClientSecret = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});
export type AzureClientSecret = z.infer<typeof AzureClientSecret>;

export interface ParsedResource {
  nsg: AzureNsgId;
  config: AzureNsgConfig;
  /** Base of our rule names, e.g. `entryguard-<resource id>`. */
  ruleBase: string;
}

/** Validates identifier, config and ports; a bad resource is a permanent INVALID_CONFIG error. */
export function parseResource(resource: ResourceTarget): ParsedResource {
  const nsg = AzureNsgId.safeParse(resource.identifier);
  if (!nsg.success) throw invalidConfig(resource, nsg.error.issues[0]?.message ?? 'invalid identifier');
  const config = AzureNsgConfig.safeParse(resource.config);
  if (!config.success) {
    const issue = config.error.issues[0];
    const where = issue?.path.length ? `config.${issue.path.join('.')}: ` : 'config: ';
    throw invalidConfig(resource, `${where}${issue?.message ?? 'invalid'}`);
  }
  if (resource.ports.length === 0) {
    throw invalidConfig(resource, 'no ports configured: list at least one port range (use protocol "all" to allow everything)');
  }
  return { nsg: nsg.data, config: config.data, ruleBase: config.data.ruleName ?? `entryguard-${resource.id}` };
}

function invalidConfig(resource: ResourceTarget, detail: string): ProviderError {
  return new ProviderError('INVALID_CONFIG', `resource "${resource.name}" (azure-nsg): ${detail}`, { retryable: false });
}
