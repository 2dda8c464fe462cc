import path from 'node:path';
import { cpuProfile } from './cpu-profile.ts';
import type { BenchEnvironment } from './environment.ts';
import type { BenchUser } from './fixtures.ts';
import { cpuMeter, waitSampler, type statementStats } from './machine.ts';
import type { Report } from './report.ts';
import { burst } from './scenarios/burst.ts';
import { postgresFloor } from './scenarios/floor.ts';
import { ms } from './stats.ts';

/** The app's pool size (src/main/database.ts): the floor gets the same number of connections. */
const APP_POOL = 10;

/**
 * One burst with its Postgres floor just before it (same people, same resources, same
 * concurrency, same database), then the burst itself under the profilers: Postgres statements
 * (pg_stat_statements), what backends waited on (pg_stat_activity sampled every 20 ms), CPU of
 * node and Postgres, and optionally a V8 CPU profile. Adds the rows and profile sections.
 */
export async function profiledBurst(
  env: BenchEnvironment,
  report: Report,
  opts: {
    title: string;
    users: BenchUser[];
    providerCalls: () => Record<string, number>;
    statements: Awaited<ReturnType<typeof statementStats>>;
    /** A name for the V8 CPU profile (.data/NAME.cpuprofile), or none. */
    profile: string | undefined;
    delay: number;
  },
) {
  const { row } = report;
  const n = opts.users.length;
  const floor = await postgresFloor(env.url, { users: opts.users, poolSize: APP_POOL });

  await opts.statements?.reset();
  const waits = waitSampler(env.admin);
  const cpu = await cpuMeter(env.admin);
  const prof = opts.profile ? await cpuProfile(path.resolve(`.data/${opts.profile}.cpuprofile`)) : undefined;
  // The samplers stop whatever happens: they must not outlive a failed burst.
  const b = await burst(env, { users: opts.users, providerCalls: opts.providerCalls }).finally(() => waits.stop());
  const profile = await prof?.stop();
  const waited = await waits.stop();
  const used = await cpu.stop();
  const top = await opts.statements?.top(12);
  const calls = await opts.statements?.totalCalls();

  const egRate = (n / b.allAcceptedMs) * 1000;
  const target = n === 500 ? '≤ 1700 ms (≥ 300 starts/s)' : '';
  row(`${opts.title}: all accepted`, `${ms(b.allAcceptedMs)} (${egRate.toFixed(0)} starts/s)`, target);
  row(`  Postgres floor: the same rows, plain SQL, ${APP_POOL} connections`, `${ms(floor.ms)} (${floor.startsPerSecond.toFixed(0)} starts/s)`, '');
  row('  EntryGuard / floor', `${(egRate / floor.startsPerSecond).toFixed(2)} ×`, '≥ 0.50 ×');
  row(`  all ${n} settled (${b.active} ACTIVE)`, ms(b.allActiveMs), `≤ ${ms(b.allAcceptedMs + 1000 + opts.delay)} (accepted + 1 s + provider delay)`);
  row(`  provider calls per session (per session × resource)`, `${b.callsPerSession.toFixed(3)} (${b.callsPerSessionResource.toFixed(4)})`, '');
  row('  CPU during the burst: node (server + worker + client) / Postgres', `${ms(used.nodeMs)} / ${ms(used.pgMs)}`, `wall ${ms(used.wallMs)} × 2 cores`);

  const lines: string[] = [];
  if (top && calls !== undefined) {
    lines.push(`Postgres statements by total time (pg_stat_statements; ${calls} executed in all, ${(calls / n).toFixed(1)} per start, worker included):`);
    for (const s of top) lines.push(`  ${String(s.total_ms).padStart(7)} ms  ${String(s.calls).padStart(6)} calls  ${s.mean_ms.toFixed(2).padStart(7)} ms avg  ${s.query}`);
  }
  const samples = Math.max(1, waited.samples);
  lines.push(`Active backends by wait, averaged over ${waited.samples} samples of pg_stat_activity (CPU = not waiting):`);
  for (const [w, c] of waited.top) lines.push(`  ${(c / samples).toFixed(2).padStart(6)}  ${w}`);
  if (profile) {
    lines.push(`Node CPU profile (.data/${opts.profile}.cpuprofile), self time by area:`);
    for (const a of profile.areas) lines.push(`  ${a.percent.toFixed(1).padStart(5)} %  ${a.what}`);
    lines.push('… and by function:');
    for (const f of profile.functions) lines.push(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.what}`);
  }
  report.section(`Profile — ${opts.title}`, lines);
}
