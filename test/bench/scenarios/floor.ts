import postgres from 'postgres';
import type { BenchUser } from '../fixtures.ts';
import { benchIp } from '../fixtures.ts';

/**
 * The Postgres floor for a burst: the rows one REST start writes (a PENDING session with its clock
 * running, one rule per resource, the audit event — whose trigger adds its audit_pending note —
 * and one job_outbox row holding the same jobs), as plain statements, one transaction per start,
 * every start at once through a pool of the app's size, on the same database. No reads, no
 * locks, no HTTP: what the database costs, against which EntryGuard's starts/s is a ratio that
 * holds on a noisy machine where absolute times do not.
 *
 * The rows are removed afterwards and their jobs run a day later (then are removed): they must
 * not become work for the scenarios measured next.
 */
export async function postgresFloor(url: string, opts: { users: BenchUser[]; poolSize: number }) {
  const sql = postgres(url, { max: opts.poolSize, onnotice: () => {}, connection: { application_name: 'bench-floor' } });
  const later = new Date(Date.now() + 86_400_000).toISOString();
  const sessionIds: string[] = [];
  try {
    // Connections open before the clock starts, as the app's pool is warm when the burst comes.
    await Promise.all(Array.from({ length: opts.poolSize }, () => sql`select 1`));
    const t0 = performance.now();
    await Promise.all(
      opts.users.map((u, i) =>
        sql.begin(async (tx) => {
          const now = new Date().toISOString();
          const expires = new Date(Date.now() + 3_600_000).toISOString();
          const ip = benchIp(30_000 + i);
          const [s] = await tx<{ id: string }[]>`
            insert into sessions (org_id, user_id, state, ipv4, duration_minutes, max_total_minutes, origin, created_at, started_at, expires_at, updated_at)
            values (${u.orgId}, ${u.id}, 'PENDING', ${ip}, 60, 480, 'api', ${now}::timestamptz, ${now}::timestamptz, ${expires}::timestamptz, ${now}::timestamptz) returning id`;
          const id = s!.id;
          sessionIds.push(id);
          await tx`
            insert into session_rules (session_id, resource_id, ip_version, cidr, state, updated_at)
            select ${id}::uuid, r, 4, ${`${ip}/32`}, 'PENDING', ${now}::timestamptz from unnest(${u.resourceIds}::uuid[]) as r`;
          const details = { durationMinutes: 60, resourceCount: u.resourceIds.length, ipv4: ip, origin: 'api' };
          await tx`
            insert into audit_events (org_id, actor_type, actor_id, actor_label, action, target_type, target_id, result, ip, details)
            values (${u.orgId}, 'api_key', ${u.id}, 'api-key:bench', 'SESSION_START', 'session', ${id}, 'SUCCESS', ${ip}, ${tx.json(details)})`;
          const jobs = [
            { name: 'expire_session', payload: { sessionId: id }, key: `expire_session:${id}`, runAt: later },
            ...[...u.resourceIds].sort().map((r) => ({
              name: 'sync_resource',
              payload: { resourceId: r, attempt: 0 },
              key: `sync_resource:${r}`,
              queue: `resource:${r}`,
              runAt: later,
              preserveRunAt: false,
            })),
          ];
          await tx`insert into job_outbox (jobs) values (${tx.json(jobs)})`;
        }),
      ),
    );
    const ms = performance.now() - t0;
    return { ms, startsPerSecond: (opts.users.length / ms) * 1000 };
  } finally {
    await cleanUp(sql, sessionIds, [...new Set(opts.users.flatMap((u) => u.resourceIds))]).finally(() => sql.end({ timeout: 5 }));
  }
}

async function cleanUp(sql: postgres.Sql, sessionIds: string[], resourceIds: string[]) {
  // The relay moves the outbox into graphile-worker within moments; then the floor's jobs go.
  for (let i = 0; i < 600; i++) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from job_outbox`;
    if (row!.n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const keys = [...sessionIds.map((id) => `expire_session:${id}`), ...resourceIds.map((r) => `sync_resource:${r}`)];
  await sql`select graphile_worker.remove_job(k) from unnest(${keys}::text[]) as k`;
  await sql`delete from sessions where id = any(${sessionIds}::uuid[])`;
}
