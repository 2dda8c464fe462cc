/**
 * How problems name a protocol and its ports: `tcp/443`, `tcp/8000-8100`, `udp (all ports)`,
 * `icmp`, `all traffic`. `ports` is a port or range as the clouds write it; `*` or none = all.
 */
export function accessLabel(protocol: string, ports?: string): string {
  const p = protocol.toLowerCase();
  if (p === '-1' || p === 'all' || p === '*') return 'all traffic';
  if (p.startsWith('icmp')) return ports && ports !== '*' ? `${p} ${ports}` : p;
  if (!ports || ports === '*' || ports === '0-65535') return `${p} (all ports)`;
  return `${p}/${ports}`;
}
