import { createManualClock, type ManualClock } from '../../src/shared/clock.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { SyncDeps } from '../../src/engine/deps.ts';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { createTaskList } from '../../src/jobs/task-list.ts';
import { sql } from 'drizzle-orm';
import { relayAll, runJobsUntilQuiet } from './run-jobs.ts';
import type { ProviderRegistry } from '../../src/engine/ports.ts';
import { MemoryFirewall, memoryRegistry } from '../fakes/memory/memory-provider.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface TestEngine {
  database: TestDatabase;
  deps: SyncDeps;
  clock: ManualClock;
  firewall: MemoryFirewall;
  /** Runs every job whose run_at has come by the *test clock*, until none is left. */
  runJobs(): Promise<void>;
  /** Queued jobs by task name (with run_at), for asserting what was scheduled. */
  jobs(): Promise<{ task: string; key: string | null; runAt: Date; payload: unknown; attempts: number }[]>;
  close(): Promise<void>;
}

/**
 * A fresh database plus the engine wired as in production, except for the clock (manual) and
 * the firewall (in memory unless `providers` is given). Jobs run only when the test says so.
 */
export async function createTestEngine(opts: { providers?: ProviderRegistry; start?: Date } = {}): Promise<TestEngine> {
  const database = await createTestDatabase();
  // The test clock runs a day ahead of the database's: a job scheduled by it is then never due
  // by accident, only when the test moves the clock past it (see runJobs).
  const clock = createManualClock(opts.start ?? new Date(Date.now() + 24 * 60 * 60_000));
  const firewall = new MemoryFirewall();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const deps: SyncDeps = {
    db: database.db,
    clock,
    jobs: createJobQueue({ notifications: false }),
    logger,
    providers: opts.providers ?? memoryRegistry(firewall),
  };
  const taskList = createTaskList(deps);
  return {
    database,
    deps,
    clock,
    firewall,
    runJobs: () => runJobsUntilQuiet({ db: database.db, url: database.url, taskList, logger, now: () => clock.now() }),
    async jobs() {
      await relayAll(database.db);
      const rows = await database.db.execute<{ task_identifier: string; key: string | null; run_at: string; payload: unknown; attempts: number }>(
        sql`select t.identifier as task_identifier, j.key, j.run_at, j.payload, j.attempts from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id order by j.run_at`,
      );
      return rows.map((r) => ({ task: r.task_identifier, key: r.key, runAt: new Date(r.run_at), payload: r.payload, attempts: r.attempts }));
    },
    close: () => database.drop(),
  };
}

