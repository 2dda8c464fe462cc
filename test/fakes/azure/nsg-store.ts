import { randomUUID } from 'node:crypto';
import { ArmError, MAX_RULES, validateRule, type RuleProps, type StoredRule } from './arm-rules.ts';

/**
 * The fake's state: NSGs with their security rules, and the asynchronous operations that
 * change them. Like NRP, a PUT is visible at once with provisioningState `Updating` and settles
 * when its operation completes; while any operation on an NSG is pending, other writes to it
 * get 409 AnotherOperationInProgress.
 */

export interface Nsg {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  rules: Map<string, StoredRule>;
}

export interface Operation {
  id: string;
  nsg: Nsg;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  pollsLeft: number;
  doneAt: number;
  start: string;
  commit: () => void;
  rollback: () => void;
  error?: { code: string; message: string } | undefined;
}

export function nsgId(n: Nsg): string {
  return `/subscriptions/${n.subscriptionId}/resourceGroups/${n.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${n.name}`;
}

export function nsgKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}

export class NsgStore {
  readonly nsgs = new Map<string, Nsg>();
  readonly ops = new Map<string, Operation>();
  /** Polls that answer InProgress before an operation completes. */
  pollsBeforeDone = 1;
  /** An operation nobody polls completes on its own after this long (so an abandoned poll never locks an NSG). */
  operationMaxMs = 3000;
  /** Makes the next operation end Failed with this error (and roll its change back). */
  nextOperationError: { code: string; message: string } | undefined;

  add(subscriptionId: string, resourceGroup: string, name: string, location = 'westeurope'): Nsg {
    const nsg: Nsg = { subscriptionId, resourceGroup, name, location, rules: new Map() };
    this.nsgs.set(nsgKey(subscriptionId, resourceGroup, name), nsg);
    return nsg;
  }

  find(subscriptionId: string, resourceGroup: string, name: string): Nsg | undefined {
    return this.nsgs.get(nsgKey(subscriptionId, resourceGroup, name));
  }

  /** Settles operations whose time is up; called on every request. */
  settleDue(now = Date.now()): void {
    for (const op of this.ops.values()) if (op.status === 'InProgress' && now >= op.doneAt) this.finish(op);
  }

  /** One poll of an operation: counts down, then completes it. */
  poll(id: string): Operation {
    const op = this.ops.get(id);
    if (!op) throw new ArmError(404, 'NotFound', 'Operation not found.');
    if (op.status === 'InProgress' && op.pollsLeft-- <= 0) this.finish(op);
    return op;
  }

  put(nsg: Nsg, name: string, body: unknown): { rule: StoredRule; created: boolean; op: Operation } {
    this.assertIdle(nsg);
    const key = name.toLowerCase();
    const previous = nsg.rules.get(key);
    const others = [...nsg.rules.values()].filter((r) => r.name.toLowerCase() !== key);
    const props = validateRule(nsgId(nsg), others, name, body);
    if (!previous && nsg.rules.size >= MAX_RULES) {
      throw new ArmError(400, 'SecurityRuleCountLimitReached', `A security group cannot have more than ${MAX_RULES} security rules.`);
    }
    const rule: StoredRule = { name: previous?.name ?? name, etag: newEtag(), properties: { ...props, provisioningState: 'Updating' } };
    nsg.rules.set(key, rule);
    const op = this.begin(nsg,
      () => { rule.properties.provisioningState = 'Succeeded'; },
      () => { if (previous) nsg.rules.set(key, previous); else nsg.rules.delete(key); });
    return { rule, created: !previous, op };
  }

  /** undefined when the rule does not exist (ARM answers 204). */
  delete(nsg: Nsg, name: string): Operation | undefined {
    this.assertIdle(nsg);
    const key = name.toLowerCase();
    const existing = nsg.rules.get(key);
    if (!existing) return undefined;
    const before = existing.properties.provisioningState;
    existing.properties.provisioningState = 'Deleting';
    return this.begin(nsg,
      () => { nsg.rules.delete(key); },
      () => { existing.properties.provisioningState = before; });
  }

  /** Puts a rule straight into state (no operation, limits unchecked): for seeding foreign rules. */
  seed(nsg: Nsg, name: string, props: RuleProps): StoredRule {
    const rule: StoredRule = { name, etag: newEtag(), properties: { provisioningState: 'Succeeded', ...props } };
    nsg.rules.set(name.toLowerCase(), rule);
    return rule;
  }

  /** A pending operation by someone else on this NSG until `release()` is called. */
  hold(nsg: Nsg): () => void {
    const op = this.begin(nsg, () => {}, () => {}, { polls: Infinity, maxMs: Infinity });
    return () => this.finish(op);
  }

  private assertIdle(nsg: Nsg): void {
    this.settleDue();
    const pending = [...this.ops.values()].find((o) => o.nsg === nsg && o.status === 'InProgress');
    if (pending) {
      throw new ArmError(409, 'AnotherOperationInProgress',
        `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: /subscriptions/${nsg.subscriptionId}/providers/Microsoft.Network/locations/${nsg.location}/operations/${pending.id}.`);
    }
  }

  private begin(nsg: Nsg, commit: () => void, rollback: () => void, opts: { polls?: number; maxMs?: number } = {}): Operation {
    const fail = this.nextOperationError;
    this.nextOperationError = undefined;
    const op: Operation = {
      id: randomUUID(),
      nsg,
      status: 'InProgress',
      pollsLeft: opts.polls ?? this.pollsBeforeDone,
      doneAt: Date.now() + (opts.maxMs ?? this.operationMaxMs),
      start: new Date().toISOString(),
      commit,
      rollback,
      error: fail,
    };
    this.ops.set(op.id, op);
    return op;
  }

  private finish(op: Operation): void {
    if (op.status !== 'InProgress') return;
    if (op.error) {
      op.rollback();
      op.status = 'Failed';
    } else {
      op.commit();
      op.status = 'Succeeded';
    }
  }
}

function newEtag(): string {
  return `W/"${randomUUID()}"`;
}

/** A rule as ARM returns it (GET, list, inside the NSG). */
export function ruleJson(nsg: Nsg, r: StoredRule): Record<string, unknown> {
  const p = r.properties;
  return {
    name: r.name,
    id: `${nsgId(nsg)}/securityRules/${r.name}`,
    etag: r.etag,
    type: 'Microsoft.Network/networkSecurityGroups/securityRules',
    properties: {
      provisioningState: p.provisioningState ?? 'Succeeded',
      description: p.description,
      protocol: p.protocol,
      sourcePortRange: p.sourcePortRange,
      destinationPortRange: p.destinationPortRange,
      sourceAddressPrefix: p.sourceAddressPrefix,
      destinationAddressPrefix: p.destinationAddressPrefix,
      access: p.access,
      priority: p.priority,
      direction: p.direction,
      sourcePortRanges: p.sourcePortRanges ?? [],
      destinationPortRanges: p.destinationPortRanges ?? [],
      sourceAddressPrefixes: p.sourceAddressPrefixes ?? [],
      destinationAddressPrefixes: p.destinationAddressPrefixes ?? [],
    },
  };
}

const DEFAULT_RULES: [string, number, string, string, string, string][] = [
  ['AllowVnetInBound', 65000, 'Inbound', 'VirtualNetwork', 'VirtualNetwork', 'Allow'],
  ['AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'AzureLoadBalancer', '*', 'Allow'],
  ['DenyAllInBound', 65500, 'Inbound', '*', '*', 'Deny'],
  ['AllowVnetOutBound', 65000, 'Outbound', 'VirtualNetwork', 'VirtualNetwork', 'Allow'],
  ['AllowInternetOutBound', 65001, 'Outbound', '*', 'Internet', 'Allow'],
  ['DenyAllOutBound', 65500, 'Outbound', '*', '*', 'Deny'],
];

/** The NSG as ARM returns it, with its rules and the six default rules (which count towards no limit). */
export function nsgJson(nsg: Nsg): Record<string, unknown> {
  const id = nsgId(nsg);
  const busy = [...nsg.rules.values()].some((r) => r.properties.provisioningState !== 'Succeeded');
  return {
    name: nsg.name,
    id,
    etag: newEtag(),
    type: 'Microsoft.Network/networkSecurityGroups',
    location: nsg.location,
    properties: {
      provisioningState: busy ? 'Updating' : 'Succeeded',
      resourceGuid: randomUUID(),
      securityRules: [...nsg.rules.values()].map((r) => ruleJson(nsg, r)),
      defaultSecurityRules: DEFAULT_RULES.map(([name, priority, direction, src, dst, access]) => ({
        name,
        id: `${id}/defaultSecurityRules/${name}`,
        type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
        properties: {
          provisioningState: 'Succeeded', protocol: '*', sourcePortRange: '*', destinationPortRange: '*',
          sourceAddressPrefix: src, destinationAddressPrefix: dst, access, priority, direction,
          sourcePortRanges: [], destinationPortRanges: [], sourceAddressPrefixes: [], destinationAddressPrefixes: [],
        },
      })),
    },
  };
}
