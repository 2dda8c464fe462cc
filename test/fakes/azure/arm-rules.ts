import net from 'node:net';

/**
 * NSG security-rule validation as Azure's network resource provider (NRP) does it: the codes
 * and messages are the real ones where known (see /work/shared/notes/cloud-fakes.md §2.3).
 */

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RuleProps {
  protocol: string;
  access: string;
  direction: string;
  priority: number;
  description?: string | undefined;
  sourcePortRange?: string | undefined;
  sourcePortRanges?: string[] | undefined;
  destinationPortRange?: string | undefined;
  destinationPortRanges?: string[] | undefined;
  sourceAddressPrefix?: string | undefined;
  sourceAddressPrefixes?: string[] | undefined;
  destinationAddressPrefix?: string | undefined;
  destinationAddressPrefixes?: string[] | undefined;
  provisioningState?: string | undefined;
}

export interface StoredRule {
  name: string;
  etag: string;
  properties: RuleProps;
}

export const MAX_RULES = 1000;
export const MAX_PREFIXES = 4000;
const PROTOCOLS = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*'];
const TAGS = new Set(['*', 'internet', 'virtualnetwork', 'azureloadbalancer']);
const NAME = /^\w(?:[\w.-]{0,78}[\w])?$/;

/** Validates a PUT body against the NSG's other rules; returns the normalised properties. */
export function validateRule(nsgId: string, others: StoredRule[], name: string, p: unknown): RuleProps {
  if (!p || typeof p !== 'object') throw new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the request.');
  const body = p as Record<string, unknown>;
  const id = `${nsgId}/securityRules/${name}`;
  if (!NAME.test(name)) throw new ArmError(400, 'InvalidResourceName', `Resource name ${name} is invalid.`);
  const protocol = pick(PROTOCOLS, body.protocol, 'protocol');
  const access = pick(['Allow', 'Deny'], body.access, 'access');
  const direction = pick(['Inbound', 'Outbound'], body.direction, 'direction');
  const priority = body.priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw new ArmError(400, 'SecurityRuleInvalidPriority', `Security rule has invalid Priority. Value provided: ${String(priority)} Allowed range 100-4096.`);
  }
  if (typeof body.description === 'string' && body.description.length > 140) {
    throw new ArmError(400, 'InvalidRequestFormat', 'Security rule description is longer than 140 characters.');
  }
  for (const side of ['source', 'destination'] as const) {
    const prefixes = checkPrefixes(id, side, body[`${side}AddressPrefix`], body[`${side}AddressPrefixes`]);
    const label = side === 'source' ? 'SourceAddressPrefixes' : 'DestinationAddressPrefixes';
    const total = others.reduce((sum, r) => sum + prefixCount(r.properties, side), 0) + prefixes;
    if (total > MAX_PREFIXES) {
      throw new ArmError(400, 'SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached',
        `Network security group ${nsgId} has ${total} ${label}. A security group cannot have more than ${MAX_PREFIXES} ${label} as per the limit MaxSecurityRuleAddressesOrPortsPerSecurityGroup.`);
    }
  }
  const clash = others.find((r) => r.properties.priority === priority && r.properties.direction === direction);
  if (clash) {
    throw new ArmError(400, 'SecurityRuleConflict',
      `Security rule ${clash.name} conflicts with rule ${name}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.`);
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  return {
    protocol, access, direction, priority,
    description: str(body.description),
    sourcePortRange: str(body.sourcePortRange),
    sourcePortRanges: list(body.sourcePortRanges),
    destinationPortRange: str(body.destinationPortRange),
    destinationPortRanges: list(body.destinationPortRanges),
    sourceAddressPrefix: str(body.sourceAddressPrefix),
    sourceAddressPrefixes: list(body.sourceAddressPrefixes),
    destinationAddressPrefix: str(body.destinationAddressPrefix),
    destinationAddressPrefixes: list(body.destinationAddressPrefixes),
  };
}

/** How many address prefixes a rule counts towards the per-NSG limit (a single prefix or tag is one). */
export function prefixCount(p: RuleProps, side: 'source' | 'destination'): number {
  return p[`${side}AddressPrefixes`]?.length || 1;
}

function pick(allowed: string[], value: unknown, field: string): string {
  const found = allowed.find((x) => x.toLowerCase() === String(value ?? '').toLowerCase());
  if (!found) throw new ArmError(400, 'InvalidRequestFormat', `Cannot parse the request. Value '${String(value)}' is not valid for property ${field}.`);
  return found;
}

function checkPrefixes(id: string, side: 'source' | 'destination', one: unknown, many: unknown): number {
  const list = Array.isArray(many) ? many.map(String) : [];
  if (one !== undefined && one !== null && list.length) {
    throw new ArmError(400, 'SecurityRuleParameterConflict', `Security rule ${id} cannot specify both ${side}AddressPrefix and ${side}AddressPrefixes.`);
  }
  if ((one === undefined || one === null) && !list.length) {
    throw new ArmError(400, 'SecurityRuleParameterMissing', `Security rule ${id} must specify ${side}AddressPrefix or ${side}AddressPrefixes.`);
  }
  const all = list.length ? list : [String(one)];
  const families = new Set<number>();
  for (const prefix of all) {
    if (TAGS.has(prefix.toLowerCase())) {
      if (list.length) {
        throw new ArmError(400, 'SecurityRuleParameterContainsUnsupportedValue',
          `Security rule parameter ${side === 'source' ? 'Source' : 'Destination'}AddressPrefixes for rule with Id ${id} cannot specify existing VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: ${prefix}.`);
      }
      continue;
    }
    const family = prefixFamily(prefix);
    if (!family) throw new ArmError(400, 'SecurityRuleInvalidAddressPrefix', `Security rule has invalid Address prefix. Value provided: ${prefix}`);
    families.add(family);
  }
  if (families.size > 1) {
    // Verified: real NSGs refuse a rule whose prefixes mix IPv4 and IPv6.
    throw new ArmError(400, 'ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies',
      `${side === 'source' ? 'Inbound' : 'Outbound'} rule ${id} contains IP addresses or prefixes that belong to different address families. All IP addresses or prefixes in the resource should belong to the same address family.`);
  }
  return all.length;
}

/** 4 or 6 for a valid IP or CIDR without host bits set (Azure refuses `10.0.0.5/24`), else undefined. */
function prefixFamily(prefix: string): 4 | 6 | undefined {
  const [ip = '', len, extra] = prefix.split('/');
  const family = net.isIP(ip);
  if ((family !== 4 && family !== 6) || extra !== undefined) return undefined;
  if (len === undefined) return family;
  const width = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(len) || Number(len) > width) return undefined;
  const hostMask = (1n << BigInt(width - Number(len))) - 1n;
  return (toBigInt(ip, family) & hostMask) === 0n ? family : undefined;
}

function toBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}
