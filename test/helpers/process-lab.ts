import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { seedBenchOrg, type BenchUser } from '../bench/fixtures.ts';
import { freePort } from '../http/helpers.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { spawnEntryGuard, type EntryGuardProcess } from './entryguard-process.ts';
import { seedResource } from './seed.ts';
import { readAllowlist, slowAllowlistConfig } from './slow-allowlist.ts';

/**
 * Real EntryGuard processes (`start`, `web`, `worker`) on one fresh database, over slow script
 * firewalls that keep their CIDRs in files: for crash, kill and multi-process tests. People get
 * API keys; each starts sessions from an address of their own (sent through X-Forwarded-For,
 * which the processes trust from loopback).
 */
export interface ProcessLab {
  dir: string;
  database: TestDatabase;
  deps: EngineDeps;
  people: (BenchUser & { ip: string })[];
  firewalls: { id: string; name: string }[];
  spawn(command: 'start' | 'web' | 'worker', env?: Record<string, string>): Promise<LabProcess>;
  allowlist(firewall: string): string[];
  /** Kills (-9) every process this lab started that still runs. */
  killAll(): Promise<void>;
  /** graphile-worker jobs and queues currently locked. */
  locked(): Promise<{ jobs: number; queues: number }>;
  close(): Promise<void>;
}

export interface LabProcess extends EntryGuardProcess {
  /** The HTTP base URL of a `start` or `web` process. */
  baseUrl: string | undefined;
}

export async function createProcessLab(opts: { people: number; firewalls: number; delaySeconds: number }): Promise<ProcessLab> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-lab-'));
  const database = await createTestDatabase();
  const { users, resources } = await seedBenchOrg(database.db, {
    users: opts.people,
    resources: opts.firewalls,
    seed: async (db, orgId, count) => {
      const rows = [];
      for (let i = 0; i < count; i++) rows.push(await seedResource(db, orgId, { name: `fw${i}`, kind: 'script', config: slowAllowlistConfig(dir, `fw${i}`, opts.delaySeconds) }));
      return rows;
    },
  });
  const processes: LabProcess[] = [];
  const deps: EngineDeps = {
    db: database.db,
    clock: systemClock,
    jobs: createJobQueue({ notifications: false }),
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  };
  return {
    dir,
    database,
    deps,
    people: users.map((u, i) => ({ ...u, ip: `198.51.100.${i + 1}` })),
    firewalls: resources.map((r, i) => ({ id: r.id, name: `fw${i}` })),
    async spawn(command, env = {}) {
      const port = command === 'worker' ? undefined : await freePort();
      const p = spawnEntryGuard([command], {
        cwd: dir,
        env: {
          DATABASE_URL: database.url,
          HOST: '127.0.0.1',
          ...(port ? { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
          TRUST_PROXY: 'loopback',
          DEMO: 'false',
          RATE_LIMIT_PER_MINUTE: '0',
          LOG_LEVEL: 'info',
          ...env,
        },
      });
      await p.waitFor(command === 'worker' ? /EntryGuard worker is running/ : /EntryGuard is running/, 90_000);
      const lp = { ...p, baseUrl: port ? `http://127.0.0.1:${port}` : undefined };
      processes.push(lp);
      return lp;
    },
    allowlist: (name) => readAllowlist(dir, name),
    async locked() {
      const [row] = await database.db.execute<{ jobs: number; queues: number }>(sql`
        select (select count(*) from graphile_worker._private_jobs where locked_by is not null)::int as jobs,
               (select count(*) from graphile_worker._private_job_queues where locked_by is not null)::int as queues`);
      return { jobs: row!.jobs, queues: row!.queues };
    },
    async killAll() {
      await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    },
    async close() {
      await Promise.all(processes.map((p) => p.kill('SIGKILL')));
      await database.drop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
