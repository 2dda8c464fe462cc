import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { createDatabase } from '../../../src/db/client.ts';
import { migrateDatabase } from '../../../src/db/migrate.ts';
import type { CloudLab } from '../../helpers/cloud-lab.ts';
import { cliEnv } from '../../helpers/entryguard-process.ts';
import { freePort } from '../../helpers/free-port.ts';
import { benchIp, postSession, seedBenchOrg } from '../fixtures.ts';
import { waitUntil } from '../stats.ts';

const root = path.resolve(import.meta.dirname, '../../..');

export interface ServerMemory {
  from: 'tsx' | 'dist';
  /** Spawn → "EntryGuard is running" (migration check, the three SDKs preloaded, worker up). */
  startMs: number;
  idleRssMiB: number;
  /** Highest VmRSS sampled every 20 ms during the burst, and the kernel's high-water mark (VmHWM) at its end. */
  peakRssMiB: number;
  hwmMiB: number;
  acceptedMs: number;
  activeMs: number;
}

/**
 * The server as its own process (test/bench/server-process.mjs: `entryguard start` as serve.ts
 * runs it, from source through tsx or from dist/), on a database of its own, with resources of all
 * three clouds on the emulators (so the EC2, ARM and Compute SDKs are all loaded at start), while
 * `sessions` people start at once from this process. Memory read from /proc/PID/status.
 */
export async function serverMemory(serverUrl: string, lab: CloudLab, opts: { from: 'tsx' | 'dist'; sessions: number; perCloud: number; perUser: number }): Promise<ServerMemory> {
  const name = `eg_bench_child_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = createDatabase(url.toString(), { max: 4 });
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const { users } = await seedBenchOrg(database.db, {
      users: opts.sessions,
      resources: opts.perCloud * 3,
      perUser: opts.perUser,
      seed: async (db, orgId) => lab.seedResources(db, orgId, { count: opts.perCloud }),
    });
    const entry = path.join(root, 'test/bench/server-process.mjs');
    const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const flags = process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
    const argv = [...flags, ...(opts.from === 'dist' ? [entry] : ['--import', tsx, entry])];
    const env = cliEnv({
      DATABASE_URL: url.toString(),
      HOST: '127.0.0.1',
      PORT: String(port),
      TRUST_PROXY: 'loopback',
      DEMO: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      BENCH_SERVER_FROM: opts.from,
      SOAK_CLOUD_OVERRIDES: JSON.stringify(overridesOf(lab)),
      ...lab.secretEnv(),
    });
    const t0 = performance.now();
    child = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = child.pid!;
    await waitUntil(
      async () => {
        if (child!.exitCode !== null) throw new Error(`server exited (${child!.exitCode}):\n${out}`);
        return out.includes('EntryGuard is running');
      },
      { timeoutMs: 180_000, intervalMs: 20 },
    );
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const idleRssMiB = memory(pid).rss;

    let peak = idleRssMiB;
    const sampler = setInterval(() => (peak = Math.max(peak, memory(pid).rss)), 20);
    const base = `http://127.0.0.1:${port}`;
    const b0 = performance.now();
    const started = await Promise.all(users.map((u, i) => postSession(base, u.key, benchIp(i))));
    const acceptedMs = performance.now() - b0;
    const ids = started.map((s) => s.id);
    await waitUntil(
      async () => {
        const [row] = await database.client<{ n: number }[]>`select count(*)::int as n from sessions where id = any(${ids}::uuid[]) and state = 'PENDING'`;
        return row!.n === 0;
      },
      { timeoutMs: 300_000, intervalMs: 25 },
    );
    const activeMs = performance.now() - b0;
    clearInterval(sampler);
    const end = memory(pid);
    return { from: opts.from, startMs, idleRssMiB, peakRssMiB: Math.max(peak, end.rss), hwmMiB: end.hwm, acceptedMs, activeMs };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await database.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** The same loopback endpoints the in-process lab registry uses (cloud-lab.ts), for another process. */
function overridesOf(lab: CloudLab) {
  return {
    aws: { endpoint: lab.ec2.endpoint, maxAttempts: 2, retryDelayMs: 1, requestTimeoutMs: 5_000, pollIntervalMs: 2 },
    azure: { endpoint: lab.azure.endpoint, authorityHost: lab.azure.authorityHost, tlsCa: lab.azure.ca, pollIntervalMs: 5, maxRetries: 1, retryDelayMs: 5 },
    gcp: { endpoint: lab.gcp.endpoint, tokenUri: lab.gcp.tokenUri, timeoutMs: 5_000, operationTimeoutMs: 5_000, retryDelayMs: 10 },
  };
}
