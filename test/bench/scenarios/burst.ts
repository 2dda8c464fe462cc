import type { BenchEnvironment } from '../environment.ts';
import { benchIp, postSession, type BenchUser } from '../fixtures.ts';
import { waitUntil } from '../stats.ts';

/**
 * Many people starting at once on the same firewalls (one REST start each, all at once): how long
 * until every start is accepted and everyone is ACTIVE, and how well the per-resource controller
 * coalesces provider calls. At most `inFlight` requests at a time (default 400): thousands of
 * connections at once overflow the listen backlog (511) and get reset, which measures the
 * kernel, not the server; a proxy in front pools them the same way.
 */
export async function burst(env: BenchEnvironment, opts: { users: BenchUser[]; providerCalls: () => Record<string, number>; inFlight?: number }) {
  const callsBefore = opts.providerCalls();
  const t0 = performance.now();
  const started = await limited(opts.inFlight ?? 400, opts.users.map((u, i) => () => postSession(env.baseUrl, u.key, benchIp(i))));
  const ackDone = performance.now() - t0;
  const ids = started.map((s) => s.id);
  await waitUntil(async () => (await countIn(env, ids, 'PENDING')) === 0, { timeoutMs: 600_000, intervalMs: 25 });
  const allActiveMs = performance.now() - t0;
  const active = await countIn(env, ids, 'ACTIVE');
  const after = opts.providerCalls();
  const calls = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (callsBefore[k] ?? 0)]));
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const pairs = opts.users.reduce((a, u) => a + u.resourceIds.length, 0);
  return { allAcceptedMs: ackDone, allActiveMs, active, calls, total, callsPerSession: total / opts.users.length, callsPerSessionResource: total / pairs };
}

export async function countIn(env: BenchEnvironment, ids: string[], state: string): Promise<number> {
  const [row] = await env.admin<{ n: number }[]>`select count(*)::int as n from sessions where id = any(${ids}::uuid[]) and state = ${state}`;
  return row!.n;
}

/** Runs the tasks with at most `n` pending at once; results in task order. */
async function limited<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, lane));
  return results;
}
