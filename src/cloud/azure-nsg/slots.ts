import { isIP } from 'node:net';
import type { PortRange, ResourceTarget } from '../../engine/ports.ts';
import type { ParsedResource } from './config.ts';

/**
 * Which security rules a resource owns and what each should look like. Pure: no SDK.
 */

export type Family = 4 | 6;
export type AzureProtocol = 'Tcp' | 'Udp' | 'Icmp' | '*';

/** One managed rule: a (protocol, IP family) pair at a fixed priority. */
export interface RuleSlot {
  name: string;
  family: Family;
  protocol: AzureProtocol;
  priority: number;
  /** Destination port ranges, e.g. ['22', '8000-8100'], or ['*']. */
  ports: string[];
}

/** A security rule as read from the NSG, reduced to what we compare. */
export interface RuleView {
  name: string;
  priority: number;
  direction: string;
  access: string;
  protocol: string;
  description: string;
  sourcePrefixes: string[];
  sourcePorts: string[];
  destinationPorts: string[];
  destinationAddressPrefix: string;
}

/** What we PUT for a slot. */
export interface RuleBody {
  description: string;
  protocol: AzureProtocol;
  access: 'Allow';
  direction: 'Inbound';
  priority: number;
  sourcePortRange: '*';
  destinationPorts: string[];
  sourcePrefixes: string[];
  destinationAddressPrefix: string;
}

const PROTOCOL_ORDER: PortRange['protocol'][] = ['tcp', 'udp', 'icmp', 'all'];
const TO_AZURE: Record<PortRange['protocol'], AzureProtocol> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', all: '*' };
const OWN_SUFFIX = /^-(?:tcp|udp|icmp|all)-v[46]$/i;

/**
 * Slots in a fixed order — protocols tcp, udp, icmp, all (those the resource uses), each with v4
 * then v6 — at priority, priority + 1, … so the same config always gives the same priorities.
 */
export function planSlots(resource: ResourceTarget, parsed: ParsedResource): RuleSlot[] {
  const slots: RuleSlot[] = [];
  const protocols = PROTOCOL_ORDER.filter((p) => resource.ports.some((r) => r.protocol === p));
  for (const protocol of protocols) {
    const ports = portsOf(resource.ports.filter((r) => r.protocol === protocol), protocol);
    for (const family of [4, 6] as const) {
      slots.push({
        name: `${parsed.ruleBase}-${protocol}-v${family}`,
        family,
        protocol: TO_AZURE[protocol],
        priority: parsed.config.priority + slots.length,
        ports,
      });
    }
  }
  return slots;
}

/** Rules named like ours (`<base>-<protocol>-v4|v6`): current slots and ones left from an older port list. */
export function isOwnRule(name: string, ruleBase: string): boolean {
  const head = name.slice(0, ruleBase.length);
  return head.toLowerCase() === ruleBase.toLowerCase() && OWN_SUFFIX.test(name.slice(ruleBase.length));
}

export function ruleBody(slot: RuleSlot, resource: ResourceTarget, parsed: ParsedResource, prefixes: string[]): RuleBody {
  return {
    // Azure caps descriptions at 140 characters.
    description: `EntryGuard-managed (do not edit): resource "${resource.name}"`.slice(0, 140),
    protocol: slot.protocol,
    access: 'Allow',
    direction: 'Inbound',
    priority: slot.priority,
    sourcePortRange: '*',
    destinationPorts: slot.ports,
    sourcePrefixes: [...prefixes].sort(),
    destinationAddressPrefix: parsed.config.destinationAddressPrefix,
  };
}

/** Whether the rule in the NSG already is exactly `body` (then no PUT is needed). */
export function sameRule(view: RuleView, body: RuleBody): boolean {
  const eq = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return (
    view.priority === body.priority &&
    view.direction.toLowerCase() === 'inbound' &&
    view.access.toLowerCase() === 'allow' &&
    view.protocol.toLowerCase() === body.protocol.toLowerCase() &&
    view.description === body.description &&
    view.destinationAddressPrefix === body.destinationAddressPrefix &&
    eq(view.sourcePorts, [body.sourcePortRange]) &&
    eq(view.destinationPorts, body.destinationPorts) &&
    eq(view.sourcePrefixes.map(cidrKey), body.sourcePrefixes.map(cidrKey))
  );
}

/** Comparison key: Azure names are case-insensitive and IPv6 may come back upper-cased. */
export function cidrKey(cidr: string): string {
  return cidr.trim().toLowerCase();
}

/** 4 or 6 for a CIDR (or bare IP) Azure accepts — no host bits set — else undefined. */
export function cidrFamily(cidr: string): Family | undefined {
  const [ip = '', len, extra] = cidr.trim().split('/');
  const family = isIP(ip);
  if ((family !== 4 && family !== 6) || extra !== undefined) return undefined;
  if (len === undefined) return family;
  const width = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(len) || Number(len) > width) return undefined;
  const hostBits = BigInt(width - Number(len));
  return (ipToBigInt(ip, family) & ((1n << hostBits) - 1n)) === 0n ? family : undefined;
}

function ipToBigInt(ip: string, family: Family): bigint {
  if (family === 4) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  // URL normalises IPv6 (and embedded IPv4) to plain hex groups.
  const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function portsOf(ranges: PortRange[], protocol: PortRange['protocol']): string[] {
  if (protocol === 'icmp') return ['*'];
  const out = new Set<string>();
  for (const r of ranges) {
    if (r.from === undefined) return ['*'];
    const to = r.to ?? r.from;
    if (r.from <= 0 && to >= 65535) return ['*'];
    out.add(r.from === to ? String(r.from) : `${r.from}-${to}`);
  }
  return [...out];
}
