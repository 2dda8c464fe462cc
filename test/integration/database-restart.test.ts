import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded-postgres.ts';
import { sessions } from '../../src/db/schema/index.ts';
import { startServices, type Services } from '../../src/main/services.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { MemoryFirewall, memoryRegistry } from '../fakes/memory/memory-provider.ts';
import { seedBenchOrg, postSession } from '../bench/fixtures.ts';
import { freePort } from '../http/helpers.ts';

/*
 * "Nothing lost, nothing left open" across a database restart: the real web + worker process
 * wiring (startServices) on a Postgres of its own, which is stopped while a session is due to
 * expire and started again. The process must not die, /readyz must say so meanwhile, and once
 * Postgres is back the expiry must still happen and new sessions must work.
 */
let pg: EmbeddedPostgresHandle | undefined;
let services: Services | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await services?.stop().catch(() => {});
  await pg?.stop().catch(() => {});
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

const waitFor = async (what: string, check: () => Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('a Postgres restart under a running EntryGuard', () => {
  it('degrades readiness while down, then catches up: the expiry due meanwhile happens and new sessions open', { timeout: 240_000 }, async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-pg-restart-'));
    // A port the OS just handed out, not a random guess that may be in use (it once was: the
    // server could not start, and the error did not say why).
    const port = await freePort();
    const startPg = () => startEmbeddedPostgres({ dataDir: path.join(dataDir!, 'pg'), port, database: 'entryguard' });
    pg = await startPg();

    const firewall = new MemoryFirewall();
    const config = loadConfig({ DATABASE_URL: pg.url, HOST: '127.0.0.1', PORT: '0', DEMO: 'false', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent' });
    services = await startServices(config, {}, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { web: true, worker: true }, undefined, {
      providers: memoryRegistry(firewall),
    });
    const base = services.address!;
    const db = services.deps.db;
    const { resources, users } = await seedBenchOrg(db, { users: 2, resources: 1 });
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const resourceId = resources[0]!.id;

    const first = await postSession(base, alice.key, '203.0.113.41');
    await waitFor('the first session to open', async () => firewall.cidrs(resourceId).includes('203.0.113.41/32'));

    // Due to end a few seconds from now: while Postgres is down.
    const endsAt = new Date(Date.now() + 3_000);
    await db.transaction(async (tx) => {
      await tx.update(sessions).set({ expiresAt: endsAt }).where(eq(sessions.id, first.id));
      await services!.deps.jobs.expireSession(tx, first.id, endsAt);
    });

    await pg.stop();
    await waitFor('/readyz to report the database down', async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 503 && ((await res.json()) as { database: boolean }).database === false;
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200); // alive: nothing should restart us
    const refused = await fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${bob.key}`, 'content-type': 'application/json' }, body: '{"duration":"1h"}' });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt.getTime() - Date.now()) + 2_000));
    expect(firewall.cidrs(resourceId)).toContain('203.0.113.41/32'); // nobody could have removed it yet

    pg = await startPg();
    await waitFor('/readyz to recover', async () => (await fetch(`${base}/readyz`)).status === 200, 90_000);
    await waitFor('the expiry missed during the outage to remove the rule', async () => !firewall.cidrs(resourceId).includes('203.0.113.41/32'), 90_000);
    const [ended] = await db.select().from(sessions).where(eq(sessions.id, first.id));
    expect(ended!.state).toBe('EXPIRED');

    const second = await postSession(base, bob.key, '203.0.113.42');
    await waitFor('a new session to open after the restart', async () => firewall.cidrs(resourceId).includes('203.0.113.42/32'));
    // The firewall changes inside the provider call; the session turns ACTIVE when the outcome is recorded, just after.
    await waitFor('the new session to be ACTIVE', async () => (await db.select().from(sessions).where(eq(sessions.id, second.id)))[0]?.state === 'ACTIVE', 10_000);
  });
});
