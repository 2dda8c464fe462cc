/**
 * `npm run bench`: the numbers the README quotes, each next to its target and the 1-minute load
 * average when it was taken. Runs the real HTTP server and worker on a fresh database (embedded
 * Postgres with pg_stat_statements unless BENCH_DATABASE_URL), the firewall in memory answering
 * after BENCH_PROVIDER_DELAY_MS; the server-memory scenario runs `entryguard start` as a child
 * process on the three cloud emulators. BENCH_PROVIDERS=emulators runs the burst on the emulators
 * instead (run-emulators.ts).
 * Knobs (env): BENCH_PROVIDER_DELAY_MS (50), BENCH_SAMPLES (100),
 * BENCH_BURST_SESSIONS (500), BENCH_BURST_RESOURCES (20, all shared),
 * BENCH_SCALE_SESSIONS (2000), BENCH_SCALE_RESOURCES (200), BENCH_SCALE_PER_USER (20: resources each start opens),
 * BENCH_EXPIRY_SESSIONS (10000), BENCH_EXPIRY_SPREAD_S (60), BENCH_EXPIRY_RESOURCES (2), BENCH_EXPIRY_LEAD_S (15: the
 * first end after setup starts; a row says so if queueing took longer),
 * BENCH_LIVE_SESSIONS (10000), BENCH_LIVE_RESOURCES (200), BENCH_LIVE_PER_SESSION (5),
 * BENCH_MEMORY_SESSIONS (500), BENCH_MEMORY_PER_CLOUD (20), BENCH_MEMORY_PER_USER (6),
 * BENCH_SLACK_CONCURRENCY (50), BENCH_SLACK_ROUNDS (5), BENCH_PROFILE (1: CPU profiles of both
 * bursts to .data/bench-burst.cpuprofile and .data/bench-scale.cpuprofile), BENCH_SERVER_NODE_OPTIONS (node flags
 * for the server child process), BENCH_ONLY (comma list of: latency,burst,scale,expiry,
 * periodic,slack,memory), BENCH_DATABASE_URL (default: embedded).
 */
import os from 'node:os';
import { MemoryFirewall, memoryRegistry } from '../fakes/memory/memory-provider.ts';
import { startBenchEnvironment } from './environment.ts';
import { seedBenchOrg } from './fixtures.ts';
import { statementStats } from './machine.ts';
import { profiledBurst } from './profiled-burst.ts';
import { createReport } from './report.ts';
import { expiryLag } from './scenarios/expiry.ts';
import { periodicJobs } from './scenarios/periodic.ts';
import { slackAckLatency } from './scenarios/slack-ack.ts';
import { startLatency } from './scenarios/start-latency.ts';
import { memoryScenarios } from './memory-scenarios.ts';
import { ms, rssSampler } from './stats.ts';

if (process.env.BENCH_PROVIDERS === 'emulators') {
  await import('./run-emulators.ts');
  process.exit(0);
}
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const only = process.env.BENCH_ONLY?.split(',');
const runs = (what: string) => !only || only.includes(what);
const delay = num('BENCH_PROVIDER_DELAY_MS', 50);

const rss = rssSampler();
const firewall = new MemoryFirewall();
firewall.delayMs = delay;
const providerCalls = () => ({ memory: firewall.applyCalls });
const env = await startBenchEnvironment(memoryRegistry(firewall));
const report = createReport();
const { row } = report;
const statements = await statementStats(env.admin);
if (!statements) report.note('pg_stat_statements is not loaded on this server: no statement profile.');
const label = `in-memory provider, ${delay} ms per call`;
/** Runs a scenario if selected; a failure becomes a row (and its stack goes to stderr), the rest still run. */
async function scenario(name: string, fn: () => Promise<void>) {
  if (!runs(name)) return;
  try {
    await fn();
  } catch (err) {
    console.error(err);
    row(`${name}: FAILED`, String((err as Error).message ?? err).slice(0, 120), '');
  }
}
try {
  await scenario('latency', async () => {
    const lat = await startLatency(env, { samples: num('BENCH_SAMPLES', 100) });
    row('REST start acknowledged, p50 / p99', `${ms(lat.ackP50)} / ${ms(lat.ackP99)}`, '');
    row(`REST start → ACTIVE p50 (${label})`, ms(lat.activeP50), `≤ ${delay + 25} ms (provider delay + 25 ms)`);
    row('REST start → ACTIVE p99', ms(lat.activeP99), '');
  });
  await scenario('burst', async () => {
    const n = num('BENCH_BURST_SESSIONS', 500);
    const r = num('BENCH_BURST_RESOURCES', 20);
    const { users } = await seedBenchOrg(env.services.deps.db, { users: n, resources: r });
    const profile = process.env.BENCH_PROFILE !== '0' ? 'bench-burst' : undefined;
    await profiledBurst(env, report, { title: `burst: ${n} starts at once on ${r} shared resources`, users, providerCalls, statements, profile, delay });
  });
  await scenario('scale', async () => {
    const n = num('BENCH_SCALE_SESSIONS', 2000);
    const r = num('BENCH_SCALE_RESOURCES', 200);
    const per = num('BENCH_SCALE_PER_USER', 20);
    const { users } = await seedBenchOrg(env.services.deps.db, { users: n, resources: r, perUser: per });
    const profile = process.env.BENCH_PROFILE !== '0' ? 'bench-scale' : undefined;
    await profiledBurst(env, report, { title: `scale burst: ${n} starts on ${r} resources, ${per} each`, users, providerCalls, statements, profile, delay });
  });
  await scenario('expiry', async () => {
    const n = num('BENCH_EXPIRY_SESSIONS', 10_000);
    const spread = num('BENCH_EXPIRY_SPREAD_S', 60);
    const e = await expiryLag(env, { sessions: n, spreadSeconds: spread, leadSeconds: num('BENCH_EXPIRY_LEAD_S', 15), resources: num('BENCH_EXPIRY_RESOURCES', 2), firewall });
    row(`expiry lag to rules removed, ${n} sessions ending within ${spread} s: p50`, ms(e.p50), '');
    row('expiry lag p99', ms(e.p99), '< 1000 ms');
    row('expiry lag max', ms(e.max), '');
    if (e.queuedLateMs > 0) report.note(`expiry: queueing the jobs ended ${e.queuedLateMs.toFixed(0)} ms after the first session was due.`);
  });
  await scenario('periodic', async () => {
    const n = num('BENCH_LIVE_SESSIONS', 10_000);
    const r = num('BENCH_LIVE_RESOURCES', 200);
    const p = await periodicJobs(env, { sessions: n, resources: r, perSession: num('BENCH_LIVE_PER_SESSION', 5), firewall });
    const cpu = (c: { nodeMs: number; pgMs: number }) => `CPU ${ms(c.nodeMs)} node + ${ms(c.pgMs)} Postgres`;
    row(`sweep_overdue with ${n} live sessions on ${r} resources (${p.rules} rules)`, ms(p.sweep.wallMs), '< 6000 ms (10% of its 60 s period)');
    row('  sweep CPU', cpu(p.sweep), '');
    row(`reconcile_all: queue ${p.resourcesReconciled} reconciles`, ms(p.reconcileQueueMs), '');
    row('reconcile_all: until every reconcile_resource ran', ms(p.reconcile.wallMs), '< 30000 ms (10% of its 300 s period)');
    row('  reconcile CPU', cpu(p.reconcile), '');
  });
  // Slack last of the in-process ones, so its commands' background work cannot disturb the above.
  await scenario('slack', async () => {
    const slackN = num('BENCH_SLACK_CONCURRENCY', 50);
    const sa = await slackAckLatency(env, { concurrency: slackN, rounds: num('BENCH_SLACK_ROUNDS', 5) });
    row(`Slack /entryguard ack, ${slackN} concurrent (${sa.samples} commands, ${sa.failures} failed), p50`, ms(sa.p50), '');
    row(`Slack /entryguard ack p99 (${sa.linked}/${slackN} got a claim link)`, ms(sa.p99), '< 100 ms');
    row('  of which in the server (request in → ack written), p50 / p99', `${ms(sa.serverP50)} / ${ms(sa.serverP99)}`, '');
    row(`  floor: ${slackN} concurrent unsigned requests (401, no work), p50 / p99`, `${ms(sa.floorP50)} / ${ms(sa.floorP99)}`, '');
  });
  row('peak RSS (server + worker + bench client, one process)', `${rss.stop().toFixed(0)} MiB`, '');
  await scenario('memory', async () => {
    await memoryScenarios(env.url, report, {
      sessions: num('BENCH_MEMORY_SESSIONS', 500),
      perCloud: num('BENCH_MEMORY_PER_CLOUD', 20),
      perUser: num('BENCH_MEMORY_PER_USER', 6),
      delay,
    });
  });
} finally {
  await env.close();
}
report.print(`EntryGuard benchmark — ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC`);
