import type { protos } from '@google-cloud/compute';
import { ProviderError, type PortRange, type ResourceTarget } from '../../engine/ports.ts';
import { accessLabel, accessProblems } from '../drift.ts';
import type { GcpFirewallConfig } from './config.ts';

export type Firewall = protos.google.cloud.compute.v1.IFirewall;
type Allowed = protos.google.cloud.compute.v1.IAllowed;

/** Ties a rule to one EntryGuard resource; a rule without it (or with another id) is never touched. */
const MARKER = 'entryguard:resource=';

export function ruleDescription(resource: ResourceTarget): string {
  return `Managed by EntryGuard for resource "${resource.name}" (${MARKER}${resource.id}). Source ranges follow active sessions; manual edits are overwritten.`;
}

/**
 * Refuses a rule that carries our name but not our marker (someone else's rule, or another
 * EntryGuard resource with the same identifier), or that sits on another network than configured
 * (a rule's network cannot be changed, so patching it would silently open the wrong network).
 */
export function ownershipError(rule: Firewall, resource: ResourceTarget, config: GcpFirewallConfig): ProviderError | undefined {
  const description = rule.description ?? '';
  const owner = new RegExp(`${MARKER}([0-9a-zA-Z-]+)`).exec(description)?.[1];
  if (owner !== resource.id) {
    const whose = owner ? `EntryGuard resource ${owner}` : 'someone else (no EntryGuard marker in its description)';
    return new ProviderError(
      'FOREIGN_RULE',
      `Firewall rule "${rule.name}" in project "${config.project}" already exists and belongs to ${whose}; ` +
        `EntryGuard will not change it. Rename this resource's identifier (or config.namePrefix), or delete that rule.`,
      { retryable: false },
    );
  }
  const network = String(rule.network ?? '');
  if (network && !network.endsWith(`/global/networks/${config.network}`)) {
    return new ProviderError(
      'RULE_NETWORK_MISMATCH',
      `Firewall rule "${rule.name}" is on network ${network.split('/').pop()}, but the resource is configured for "${config.network}". ` +
        'Delete the rule (EntryGuard re-creates it) or set config.network back.',
      { retryable: false },
    );
  }
  return undefined;
}

/** `resource.ports` as GCE `allowed` entries, one per protocol; a range without ports opens the whole protocol. */
export function toAllowed(ports: PortRange[]): Allowed[] {
  if (ports.some((p) => p.protocol === 'all')) return [{ IPProtocol: 'all' }];
  const byProtocol = new Map<string, string[] | undefined>();
  for (const p of ports) {
    const hasPorts = p.protocol !== 'icmp' && p.from !== undefined;
    const prev = byProtocol.has(p.protocol) ? byProtocol.get(p.protocol) : [];
    if (!hasPorts || prev === undefined) {
      byProtocol.set(p.protocol, undefined);
      continue;
    }
    const to = p.to ?? p.from!;
    prev.push(to === p.from ? String(p.from) : `${p.from}-${to}`);
    byProtocol.set(p.protocol, prev);
  }
  return [...byProtocol].map(([protocol, list]) => (list ? { IPProtocol: protocol, ports: list } : { IPProtocol: protocol }));
}

/** The full rule for an insert; patches send the same fields so config changes (ports, tags, priority) follow. */
export function ruleBody(
  resource: ResourceTarget,
  config: GcpFirewallConfig,
  name: string,
  sourceRanges: string[],
): Firewall {
  return {
    name,
    description: ruleDescription(resource),
    network: `global/networks/${config.network}`,
    direction: 'INGRESS',
    priority: config.priority,
    allowed: toAllowed(resource.ports),
    sourceRanges,
    ...(config.targetTags?.length ? { targetTags: config.targetTags } : {}),
  };
}

export interface RuleDrift {
  /** Empty when the rule holds what EntryGuard writes (source ranges and description aside). */
  problems: string[];
  /**
   * Only a new rule can fix it: whether a rule's direction or its allow/deny action can be
   * changed in place could not be confirmed, and the access is gone already, so it is deleted
   * and inserted again.
   */
  recreate: boolean;
}

/**
 * How one of our rules differs from what EntryGuard writes for it: `allowed` (protocols and
 * ports), priority, direction, enabled, target tags, and no other kind of source or target.
 * The description is a label (rewritten with the next write) and logging opens nothing: neither
 * is compared. Pure.
 */
export function ruleDrift(rule: Firewall, resource: ResourceTarget, config: GcpFirewallConfig): RuleDrift {
  const where = `rule ${rule.name}`;
  const problems = accessProblems(labels(toAllowed(resource.ports)), labels(rule.allowed ?? []), where);
  const list = (xs: readonly string[] | null | undefined) => [...(xs ?? [])].sort().join(', ');
  const denied = labels(rule.denied ?? []);
  if (denied.length) problems.push(`${where}: denies ${denied.join(', ')} instead of allowing it`);
  if ((rule.priority ?? 1000) !== config.priority) problems.push(`${where}: priority is ${rule.priority ?? 1000}, EntryGuard writes ${config.priority}`);
  const direction = String(rule.direction ?? 'INGRESS');
  if (direction !== 'INGRESS') problems.push(`${where}: direction is ${direction}, EntryGuard writes INGRESS`);
  if (rule.disabled) problems.push(`${where}: is disabled`);
  if (list(rule.targetTags) !== list(config.targetTags)) {
    problems.push(`${where}: target tags are ${list(rule.targetTags) || '(none)'}, EntryGuard writes ${list(config.targetTags) || '(none)'}`);
  }
  if (rule.sourceTags?.length) problems.push(`${where}: also allows source tags ${list(rule.sourceTags)}`);
  if (rule.sourceServiceAccounts?.length) problems.push(`${where}: also allows source service accounts ${list(rule.sourceServiceAccounts)}`);
  if (rule.targetServiceAccounts?.length) problems.push(`${where}: applies only to service accounts ${list(rule.targetServiceAccounts)}`);
  if (rule.destinationRanges?.length) problems.push(`${where}: applies only to destinations ${list(rule.destinationRanges)}`);
  return { problems, recreate: denied.length > 0 || direction !== 'INGRESS' };
}

function labels(rules: Allowed[]): string[] {
  return rules.flatMap((a) => (a.ports?.length ? a.ports.map((p) => accessLabel(String(a.IPProtocol), p)) : [accessLabel(String(a.IPProtocol))]));
}
