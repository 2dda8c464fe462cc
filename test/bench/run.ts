/**
 * `npm run bench`: the numbers the README quotes. Runs the real HTTP server and worker on a
 * fresh database. The firewall is in memory and answers after BENCH_PROVIDER_DELAY_MS, or, with
 * BENCH_PROVIDERS=emulators, the real AWS/Azure/GCP SDKs talk to the loopback emulators (each
 * answering after BENCH_PROVIDER_DELAY_MS) and calls are counted per cloud.
 * Knobs (env): BENCH_PROVIDERS (memory|emulators), BENCH_PROVIDER_DELAY_MS (50), BENCH_SAMPLES (100),
 * BENCH_BURST_SESSIONS (500; with emulators 50), BENCH_BURST_RESOURCES (20; per cloud with emulators: 7),
 * BENCH_EXPIRY_SESSIONS (1000), BENCH_EXPIRY_SPREAD_S (60), BENCH_DATABASE_URL (default: embedded),
 * BENCH_SLACK_CONCURRENCY (50), BENCH_SLACK_ROUNDS (5).
 */
import os from 'node:os';
import { MemoryFirewall, memoryRegistry } from '../fakes/memory/memory-provider.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import type { ProviderRegistry } from '../../src/engine/ports.ts';
import { startBenchEnvironment } from './environment.ts';
import type { ResourceSeeder } from './fixtures.ts';
import { burst } from './scenarios/burst.ts';
import { expiryLag } from './scenarios/expiry.ts';
import { slackAckLatency } from './scenarios/slack-ack.ts';
import { startLatency } from './scenarios/start-latency.ts';
import { ms, printTable, rssSampler, type Row } from './stats.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const delay = num('BENCH_PROVIDER_DELAY_MS', 50);
const useEmulators = process.env.BENCH_PROVIDERS === 'emulators';

const rss = rssSampler();
let lab: CloudLab | undefined;
let registry: ProviderRegistry;
let providerCalls: () => Record<string, number>;
let seed: ResourceSeeder | undefined;
if (useEmulators) {
  lab = await startCloudLab({ latencyMs: delay });
  registry = lab.registry;
  providerCalls = () => lab!.calls();
  // Round-robin over the three clouds so every provider carries a third of the resources.
  seed = async (db, orgId, count) => {
    const perCloud = Math.ceil(count / 3);
    return (await lab!.seedResources(db, orgId, { count: perCloud })).slice(0, count);
  };
} else {
  const firewall = new MemoryFirewall();
  firewall.delayMs = delay;
  registry = memoryRegistry(firewall);
  providerCalls = () => ({ memory: firewall.applyCalls });
}

const env = await startBenchEnvironment(registry);
const rows: Row[] = [];
const label = useEmulators ? `emulators, +${delay} ms per request` : `in-memory provider, ${delay} ms per call`;
try {
  if (!useEmulators) {
    const lat = await startLatency(env, { samples: num('BENCH_SAMPLES', 100) });
    rows.push(
      { metric: 'REST start acknowledged, p50 / p99', value: `${ms(lat.ackP50)} / ${ms(lat.ackP99)}`, target: '' },
      { metric: `REST start → ACTIVE p50 (${label})`, value: ms(lat.activeP50), target: `< ${100 + delay} ms` },
      { metric: 'REST start → ACTIVE p99', value: ms(lat.activeP99), target: '' },
    );
  }
  // With the emulators, 50 people: one inbound rule each still fits a security group's default quota of 60.
  const sessionsN = num('BENCH_BURST_SESSIONS', useEmulators ? 50 : 500);
  const resourcesN = num('BENCH_BURST_RESOURCES', useEmulators ? 21 : 20);
  // Production preloads the SDKs its resources need at start; do the same before measuring.
  for (const kind of ['aws-security-group', 'azure-nsg', 'gcp-firewall']) if (useEmulators) await registry.get(kind);
  const b = await burst(env, { sessions: sessionsN, resources: resourcesN, providerCalls, seed });
  rows.push(
    { metric: `burst: ${sessionsN} starts accepted (${label})`, value: ms(b.allAcceptedMs), target: '' },
    { metric: `burst: all ${sessionsN} settled on ${resourcesN} shared resources (${b.active} ACTIVE)`, value: ms(b.allActiveMs), target: '' },
    ...Object.entries(b.calls).map(([k, v]) => ({ metric: `burst: ${useEmulators ? 'API requests' : 'provider calls'} (${k})`, value: String(v), target: '' })),
    {
      metric: `burst: ${useEmulators ? 'API requests' : 'provider calls'} per session × resource`,
      value: b.callsPerSessionResource.toFixed(4),
      target: useEmulators ? '' : '< 0.2',
    },
  );
  if (useEmulators) {
    const per = resourcesN / 3;
    for (const [k, v] of Object.entries(b.calls)) {
      rows.push({ metric: `  per session × resource (${k})`, value: (v / (sessionsN * per)).toFixed(4), target: '' });
    }
  } else {
    const expN = num('BENCH_EXPIRY_SESSIONS', 1000);
    const e = await expiryLag(env, { sessions: expN, spreadSeconds: num('BENCH_EXPIRY_SPREAD_S', 60) });
    rows.push(
      { metric: `expiry lag to rules removed (${expN} sessions ending in one minute), p50`, value: ms(e.p50), target: '' },
      { metric: 'expiry lag p99', value: ms(e.p99), target: '< 3000 ms' },
      { metric: 'expiry lag max', value: ms(e.max), target: '' },
    );
  }
  // Slack last, so its commands' background work cannot disturb the numbers above.
  if (!useEmulators) {
    // Slack: the ack Slack waits for (3 s limit), with every command's slow work running meanwhile.
    const slackN = num('BENCH_SLACK_CONCURRENCY', 50);
    const sa = await slackAckLatency(env, { concurrency: slackN, rounds: num('BENCH_SLACK_ROUNDS', 5) });
    rows.push(
      { metric: `Slack /entryguard ack, ${slackN} concurrent (${sa.samples} commands, ${sa.failures} failed), p50`, value: ms(sa.p50), target: '' },
      { metric: `Slack /entryguard ack p99 (${sa.linked}/${slackN} got a claim link)`, value: ms(sa.p99), target: '< 100 ms' },
      { metric: '  of which in the server (request in → ack written), p50 / p99', value: `${ms(sa.serverP50)} / ${ms(sa.serverP99)}`, target: '' },
      { metric: `  floor: ${slackN} concurrent unsigned requests (401, no work), p50 / p99`, value: `${ms(sa.floorP50)} / ${ms(sa.floorP99)}`, target: '' },
    );
  }
} finally {
  await env.close();
  await lab?.close();
}
rows.push({ metric: 'peak RSS (server + worker + bench client, one process)', value: `${rss.stop().toFixed(0)} MiB`, target: '' });
printTable(`EntryGuard benchmark — ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`, rows);
