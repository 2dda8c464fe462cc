/**
 * `BENCH_PROVIDERS=emulators npm run bench`: the burst with the real AWS/Azure/GCP SDKs talking to
 * the loopback emulators (each answering after BENCH_PROVIDER_DELAY_MS), API requests counted per
 * cloud. Knobs: BENCH_BURST_SESSIONS (50: one inbound rule each still fits a security group's
 * default quota of 60), BENCH_BURST_RESOURCES (21, a third per cloud).
 */
import os from 'node:os';
import { startCloudLab } from '../helpers/cloud-lab.ts';
import { startBenchEnvironment } from './environment.ts';
import { seedBenchOrg } from './fixtures.ts';
import { createReport } from './report.ts';
import { burst } from './scenarios/burst.ts';
import { ms } from './stats.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const delay = num('BENCH_PROVIDER_DELAY_MS', 50);
const lab = await startCloudLab({ latencyMs: delay });
const env = await startBenchEnvironment(lab.registry);
const report = createReport();
try {
  const n = num('BENCH_BURST_SESSIONS', 50);
  const r = num('BENCH_BURST_RESOURCES', 21);
  // Production preloads the SDKs its resources need at start; do the same before measuring.
  for (const kind of ['aws-security-group', 'azure-nsg', 'gcp-firewall']) await lab.registry.get(kind);
  const perCloud = Math.ceil(r / 3);
  const { users } = await seedBenchOrg(env.services.deps.db, {
    users: n,
    resources: r,
    seed: async (db, orgId, count) => (await lab.seedResources(db, orgId, { count: perCloud })).slice(0, count),
  });
  const b = await burst(env, { users, providerCalls: () => lab.calls() });
  report.row(`burst: ${n} starts accepted (emulators, +${delay} ms per request)`, ms(b.allAcceptedMs), '');
  report.row(`burst: all ${n} settled on ${r} shared resources (${b.active} ACTIVE)`, ms(b.allActiveMs), '');
  for (const [k, v] of Object.entries(b.calls)) {
    report.row(`burst: API requests (${k}), per session × resource`, `${v} (${(v / (n * (r / 3))).toFixed(4)})`, '');
  }
} finally {
  await env.close();
  await lab.close();
}
report.print(`EntryGuard benchmark on the cloud emulators — ${os.cpus().length} cores, Node ${process.version}`);
