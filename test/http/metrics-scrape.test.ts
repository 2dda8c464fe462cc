import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { startServices, type Services } from '../../src/main/services.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { allowlistScripts } from '../helpers/allowlist-script.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { waitUntil } from '../helpers/entryguard-process.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

/**
 * The operator's view: the real composition root (web + worker in one process, as `entryguard
 * start`) on a real database, sessions on `script` resources synced by the real worker, then a
 * real scrape of /metrics over HTTP. Every metric must have samples.
 */
let database: TestDatabase;
let services: Services;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-metrics-'));
  const env = { DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', PUBLIC_URL: 'http://127.0.0.1', DEMO: 'false', LOG_LEVEL: 'silent', TEAMS_LOCAL: 'true' };
  services = await startServices(loadConfig(env), env, createLogger({ level: 'silent' }), { web: true, worker: true });
}, 60_000);
afterAll(async () => {
  await services?.stop();
  await database?.drop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const scrape = async () => {
  const res = await fetch(`${services.address}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};
const sample = (text: string, name: string, labels = '') => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && !l.startsWith('#'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('/metrics of a running EntryGuard', () => {
  it('has samples for sessions, syncs, provider calls, jobs, workers, failing removals and how long rules outlived their sessions', async () => {
    const { db } = services.deps;
    const org = await seedOrg(db);
    const allowlist = path.join(dir, 'allowlist.txt');
    const faults = path.join(dir, 'faults.txt');
    const resource = await seedResource(db, org.id, { kind: 'script', config: { ...allowlistScripts(), env: { ALLOWLIST: allowlist, FAULTS: faults } } });
    const users = await Promise.all([1, 2, 3, 4].map(() => seedUser(db, org.id)));
    await seedRole(db, org.id, { members: users.map((u) => u.id), resources: [resource.id] });
    const ids: string[] = [];
    for (const [i, u] of users.entries()) {
      ids.push(await startSession(services.deps, { orgId: org.id, userId: u.id, durationMinutes: 60, ipv4: `203.0.113.${i + 1}`, origin: 'api', actor: actorOf(u) }));
    }
    const active = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from sessions where state = 'ACTIVE'`))[0]!.n;
    await waitUntil('four ACTIVE sessions', async () => (await active()) === 4, 60_000);

    let text = await scrape();
    expect(sample(text, 'entryguard_sessions', 'state="ACTIVE"')).toBe(4);
    expect(sample(text, 'entryguard_sync_duration_seconds_count', 'kind="script",outcome="ok"')).toBeGreaterThan(0);
    expect(sample(text, 'entryguard_provider_calls_total', 'kind="script"')).toBeGreaterThan(0);
    expect(sample(text, 'entryguard_workers_alive')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'entryguard_jobs_held_by_dead_workers')).toBe(0);
    expect(sample(text, 'entryguard_notification_failures_total', 'platform="teams"')).toBe(0);
    expect(sample(text, 'entryguard_rule_outlived_session_seconds_count', 'kind="script"')).toBe(0);

    // The firewall refuses to remove the first address: its removal is failing, and retried.
    await fs.writeFile(faults, 'reject 203.0.113.1/32\n');
    await stopSession(services.deps, { sessionId: ids[0]!, actor: actorOf(users[0]!) });
    const failing = async () => sample(await scrape(), 'entryguard_rule_removals_failing', 'kind="script"');
    await waitUntil('a failing removal on /metrics', async () => (await failing()) === 1, 60_000);
    expect((await fs.readFile(allowlist, 'utf8')).split('\n')).toContain('203.0.113.1/32');

    // The firewall takes the removal again: it is confirmed, and how long the rule outlived its session is observed.
    await fs.writeFile(faults, '');
    await waitUntil('the removal confirmed', async () => (await failing()) === undefined, 90_000, 500);
    text = await scrape();
    expect(sample(text, 'entryguard_rule_outlived_session_seconds_count', 'kind="script"')).toBe(1);
    expect(sample(text, 'entryguard_rule_outlived_session_seconds_sum', 'kind="script"')).toBeGreaterThan(0);
    expect(sample(text, 'entryguard_sessions', 'state="ACTIVE"')).toBe(3);
    expect((await fs.readFile(allowlist, 'utf8')).split('\n')).not.toContain('203.0.113.1/32');
  }, 180_000);

  it('shows due jobs no worker takes, by task, with the age of the oldest', async () => {
    const { db } = services.deps;
    // A task this worker does not know stays due: what a backlog looks like to the scrape.
    await db.execute(sql`select graphile_worker.add_job('unknown_task_backlog', '{}'::json, run_at => now() - interval '3 minutes', job_key => 'backlog-a')`);
    const text = await scrape();
    expect(text).toContain('# TYPE entryguard_job_oldest_due_seconds gauge');
    expect(sample(text, 'entryguard_jobs_due', 'task="unknown_task_backlog"')).toBe(1);
    expect(sample(text, 'entryguard_job_oldest_due_seconds', 'task="unknown_task_backlog"')).toBeGreaterThanOrEqual(170);
    await db.execute(sql`select graphile_worker.remove_job('backlog-a')`);
    expect(sample(await scrape(), 'entryguard_jobs_due', 'task="unknown_task_backlog"')).toBeUndefined();
  });
});
