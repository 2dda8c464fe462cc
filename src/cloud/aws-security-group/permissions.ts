/** Port ranges of a resource → the EC2 rule shapes one CIDR needs (pure). */
import type { PortRange } from '../../engine/ports.ts';
import type { Family } from '../cidr.ts';
import { accessLabel } from '../drift.ts';

export interface RuleSpec {
  /** EC2 protocol name: tcp, udp, icmp, icmpv6, or -1 for all. */
  ipProtocol: string;
  /** Port, or ICMP type (-1 = any). */
  fromPort: number;
  /** Port, or ICMP code (-1 = any). */
  toPort: number;
}

export const specKey = (s: RuleSpec): string => `${s.ipProtocol}|${s.fromPort}|${s.toPort}`;

/** Whether the configured ports make sense; the message names the bad entry. */
export function portsProblem(ports: PortRange[]): string | undefined {
  if (ports.length === 0) return 'ports is empty: list at least one port range, e.g. [{protocol: tcp, from: 22, to: 22}]';
  for (const p of ports) {
    if (p.protocol === 'tcp' || p.protocol === 'udp') {
      const from = p.from ?? 0;
      const to = p.to ?? p.from ?? 65535;
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || from > to)
        return `ports: ${p.protocol} ${p.from ?? ''}-${p.to ?? ''} is not a range within 0-65535`;
    } else if (p.protocol === 'icmp') {
      if ((p.from !== undefined && (p.from < -1 || p.from > 255)) || (p.to !== undefined && (p.to < -1 || p.to > 255)))
        return 'ports: icmp from (type) and to (code) must be -1..255';
    }
  }
  return undefined;
}

/**
 * The rules one CIDR of `family` needs. An omitted tcp/udp `to` means the single port `from`; no
 * ports at all means every port. ICMP for an IPv6 CIDR becomes icmpv6, which is what AWS matches.
 */
export function ruleSpecs(ports: PortRange[], family: Family): RuleSpec[] {
  const specs = new Map<string, RuleSpec>();
  for (const p of ports) {
    let spec: RuleSpec;
    if (p.protocol === 'all') spec = { ipProtocol: '-1', fromPort: -1, toPort: -1 };
    else if (p.protocol === 'icmp') spec = { ipProtocol: family === 'v6' ? 'icmpv6' : 'icmp', fromPort: p.from ?? -1, toPort: p.to ?? -1 };
    else spec = { ipProtocol: p.protocol, fromPort: p.from ?? 0, toPort: p.to ?? p.from ?? 65535 };
    specs.set(specKey(spec), spec);
  }
  return [...specs.values()];
}

/** How EC2 may report a protocol someone else created by number. */
export function normaliseProtocol(p: string | undefined): string {
  const s = String(p ?? '').toLowerCase();
  return ({ '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' } as Record<string, string>)[s] ?? s;
}

/** `tcp/443`, `udp/8000-8100`, `icmp type 8`, `all traffic` (see drift.ts). */
export function describeSpec(s: RuleSpec): string {
  if (s.ipProtocol.startsWith('icmp')) return accessLabel(s.ipProtocol, s.fromPort === -1 ? undefined : `type ${s.fromPort}`);
  return accessLabel(s.ipProtocol, s.fromPort === s.toPort ? `${s.fromPort}` : `${s.fromPort}-${s.toPort}`);
}
