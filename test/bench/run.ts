/**
 * `npm run bench`: the numbers the README quotes. Runs the real HTTP server and worker on a
 * fresh database, with an in-memory firewall that answers after BENCH_PROVIDER_DELAY_MS.
 * Knobs (env): BENCH_PROVIDER_DELAY_MS (50), BENCH_SAMPLES (100), BENCH_BURST_SESSIONS (500),
 * BENCH_BURST_RESOURCES (20), BENCH_EXPIRY_SESSIONS (1000), BENCH_EXPIRY_SPREAD_S (60),
 * BENCH_DATABASE_URL (default: an embedded Postgres).
 */
import os from 'node:os';
import { MemoryFirewall, memoryRegistry } from '../fakes/memory/memory-provider.ts';
import { startBenchEnvironment } from './environment.ts';
import { burst } from './scenarios/burst.ts';
import { expiryLag } from './scenarios/expiry.ts';
import { startLatency } from './scenarios/start-latency.ts';
import { ms, printTable, rssSampler, type Row } from './stats.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const delay = num('BENCH_PROVIDER_DELAY_MS', 50);
const firewall = new MemoryFirewall();
firewall.delayMs = delay;
const rss = rssSampler();
const env = await startBenchEnvironment(memoryRegistry(firewall));
const rows: Row[] = [];
try {
  const lat = await startLatency(env, { samples: num('BENCH_SAMPLES', 100) });
  rows.push(
    { metric: 'REST start acknowledged, p50 / p99', value: `${ms(lat.ackP50)} / ${ms(lat.ackP99)}`, target: '' },
    { metric: `REST start → ACTIVE p50 (provider ${delay} ms)`, value: ms(lat.activeP50), target: `< ${100 + delay} ms` },
    { metric: `REST start → ACTIVE p99 (provider ${delay} ms)`, value: ms(lat.activeP99), target: '' },
  );
  const sessionsN = num('BENCH_BURST_SESSIONS', 500);
  const resourcesN = num('BENCH_BURST_RESOURCES', 20);
  const b = await burst(env, { sessions: sessionsN, resources: resourcesN, providerCalls: () => firewall.applyCalls });
  rows.push(
    { metric: `burst: ${sessionsN} starts accepted`, value: ms(b.allAcceptedMs), target: '' },
    { metric: `burst: all ${sessionsN} ACTIVE on ${resourcesN} shared resources`, value: ms(b.allActiveMs), target: '' },
    { metric: 'burst: provider calls', value: String(b.calls), target: '' },
    { metric: 'burst: provider calls per session × resource', value: b.callsPerSessionResource.toFixed(4), target: '< 0.2' },
  );
  const expN = num('BENCH_EXPIRY_SESSIONS', 1000);
  const e = await expiryLag(env, { sessions: expN, spreadSeconds: num('BENCH_EXPIRY_SPREAD_S', 60) });
  rows.push(
    { metric: `expiry lag to rules removed, ${expN} sessions in one minute, p50`, value: ms(e.p50), target: '' },
    { metric: 'expiry lag p99', value: ms(e.p99), target: '< 3000 ms' },
    { metric: 'expiry lag max', value: ms(e.max), target: '' },
  );
} finally {
  await env.close();
}
rows.push({ metric: 'peak RSS (server + worker + bench client, one process)', value: `${rss.stop().toFixed(0)} MiB`, target: '' });
printTable(`EntryGuard benchmark — ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`, rows);
