import type { Db } from '../../src/db/client.ts';
import type { MemoryFirewall } from '../fakes/memory/memory-provider.ts';

/**
 * Seeds `count` ACTIVE sessions straight into the tables, as if each had started and synced: its
 * rules APPLIED, the firewall entries PRESENT (and, given the in-memory firewall, on it). For the
 * scenarios whose subject is not the start path (expiry, sweep, reconcile): ten thousand starts
 * through the API would only measure the burst again. Session i belongs to users[i % users] and
 * holds `perSession` consecutive resources from resource (i mod resources), with one IPv4 address
 * each (198.18.0.0/15, the benchmarking range), ending in an hour. Returns the ids in seeding order.
 */
export async function seedLiveSessions(
  db: Db,
  world: { org: { id: string }; users: { id: string }[]; resources: { id: string }[] },
  opts: { count: number; perSession: number; firewall?: MemoryFirewall | undefined },
): Promise<string[]> {
  const sql = db.$client;
  const now = new Date().toISOString();
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const resourceIds = world.resources.map((r) => r.id);
  const rows = Array.from({ length: opts.count }, (_x, i) => ({
    user_id: world.users[i % world.users.length]!.id,
    cidr: `${seedIp(i)}/32`,
    ip: seedIp(i),
    expires_at: expiresAt,
    first: i % resourceIds.length,
  }));
  const ids: string[] = [];
  // Batches keep each statement's parameters small.
  for (let from = 0; from < rows.length; from += 1000) {
    const batch = rows.slice(from, from + 1000);
    const inserted = await sql.begin(async (tx) => {
      const s = await tx<{ id: string }[]>`
        insert into sessions (org_id, user_id, state, ipv4, duration_minutes, max_total_minutes, origin, created_at, started_at, expires_at, updated_at)
        select ${world.org.id}::uuid, x.user_id::uuid, 'ACTIVE', x.ip, 60, 480, 'api', ${now}::timestamptz, ${now}::timestamptz, x.expires_at::timestamptz, ${now}::timestamptz
        from json_to_recordset(${JSON.stringify(batch)}::json) as x(user_id text, ip text, expires_at text)
        returning id`;
      const rules = s.flatMap((row, k) =>
        Array.from({ length: opts.perSession }, (_y, j) => ({
          session_id: row.id,
          resource_id: resourceIds[(batch[k]!.first + j) % resourceIds.length]!,
          cidr: batch[k]!.cidr,
        })),
      );
      await tx`
        insert into session_rules (session_id, resource_id, ip_version, cidr, state, applied_at, updated_at)
        select x.session_id::uuid, x.resource_id::uuid, 4, x.cidr, 'APPLIED', ${now}::timestamptz, ${now}::timestamptz
        from json_to_recordset(${JSON.stringify(rules)}::json) as x(session_id text, resource_id text, cidr text)`;
      await tx`
        insert into resource_entries (resource_id, cidr, provider_rule_id, state, updated_at)
        select x.resource_id::uuid, x.cidr, 'mem-' || x.cidr, 'PRESENT', ${now}::timestamptz
        from json_to_recordset(${JSON.stringify(rules)}::json) as x(session_id text, resource_id text, cidr text)
        on conflict do nothing`;
      for (const r of rules) {
        const set = opts.firewall?.state.get(r.resource_id) ?? new Set<string>();
        set.add(r.cidr);
        opts.firewall?.state.set(r.resource_id, set);
      }
      return s;
    });
    ids.push(...inserted.map((r) => r.id));
  }
  return ids;
}

/** Distinct addresses from 198.19.0.0 up: clear of benchIp's 198.18.x for the scenarios that start through the API. */
const seedIp = (i: number) => `198.19.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
