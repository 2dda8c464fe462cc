import fs from 'node:fs';
import os from 'node:os';
import type postgres from 'postgres';

/** The 1-minute load average, for every row: on a shared 2-core machine it explains most noise. */
export const loadAvg = () => os.loadavg()[0]!.toFixed(1);

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** user+system CPU of a process, in ms (0 if it is gone). */
export function processCpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU spent by this process and by the Postgres backends of the bench database (plus the server's
 * background processes) between start and stop. Backends that exit meanwhile are not counted.
 */
export async function cpuMeter(sql: postgres.Sql): Promise<{ stop(): Promise<{ wallMs: number; nodeMs: number; pgMs: number }> }> {
  const pgPids = async () =>
    (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() or datname is null`).map((r) => r.pid);
  const before = new Map((await pgPids()).map((p) => [p, processCpuMs(p)]));
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    async stop() {
      const wallMs = performance.now() - t0;
      const node = process.cpuUsage(node0);
      let pgMs = 0;
      for (const p of await pgPids()) pgMs += processCpuMs(p) - (before.get(p) ?? 0);
      return { wallMs, nodeMs: (node.user + node.system) / 1000, pgMs };
    },
  };
}

/**
 * Samples pg_stat_activity every `everyMs` while running: how many backends of the bench database
 * were waiting, on what (wait_event_type:wait_event), counted over all samples.
 */
export function waitSampler(sql: postgres.Sql, everyMs = 20) {
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    // A failed sample (the pool closing under a failed scenario) ends the sampling, never the run.
    while (running) {
      const rows = await sql<{ w: string; n: number }[]>`
        select coalesce(wait_event_type || ':' || wait_event, 'CPU') as w, count(*)::int as n
        from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid() group by 1`.catch(() => undefined);
      if (!rows) break;
      samples++;
      for (const r of rows) counts.set(r.w, (counts.get(r.w) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, top: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6) };
    },
  };
}

/**
 * pg_stat_statements, when the server loaded it (the embedded bench server does: run.ts restarts
 * it with shared_preload_libraries): reset before a scenario, top statements by total time after.
 */
export async function statementStats(
  sql: postgres.Sql,
): Promise<{ reset(): Promise<void>; top(n: number): Promise<StatementCost[]>; totalCalls(): Promise<number> } | undefined> {
  try {
    await sql`create extension if not exists pg_stat_statements`;
    await sql`select pg_stat_statements_reset()`;
  } catch {
    return undefined;
  }
  return {
    async reset() {
      await sql`select pg_stat_statements_reset()`;
    },
    async totalCalls() {
      const [row] = await sql<{ n: number }[]>`
        select coalesce(sum(calls), 0)::int as n from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname = current_database() and query not like '%pg_stat_activity%'`;
      return row!.n;
    },
    async top(n) {
      return sql<StatementCost[]>`
        select calls::int, round(total_exec_time)::int as total_ms, round(mean_exec_time::numeric, 2)::float as mean_ms,
          regexp_replace(left(query, 110), '\\s+', ' ', 'g') as query
        from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname = current_database() and query not like '%pg_stat_activity%' order by total_exec_time desc limit ${n}`;
    },
  };
}

export interface StatementCost {
  calls: number;
  total_ms: number;
  mean_ms: number;
  query: string;
}
