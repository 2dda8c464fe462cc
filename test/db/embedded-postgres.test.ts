import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { isAlive, runningServer } from '../../src/db/embedded/ownership.ts';
import { freePort } from '../http/helpers.ts';

/*
 * The embedded Postgres has one owner: the process that started it. Another process (a CLI
 * command next to `npm start`) uses the running server and never stops it; a server whose owner
 * was killed is an orphan, stopped (and logged) by the next start.
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-embedded-'));
  cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'pg');
}

function startOwner(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, 'fixtures/own-embedded-postgres.ts'), dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(async () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().startsWith('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`owner exited early (${code})`)));
  });
}

const selectOne = async (url: string) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql`select 1 as one`)[0]?.one;
  } finally {
    await sql.end({ timeout: 5 });
  }
};

function recorder() {
  const lines: string[] = [];
  return { lines, info: (_: object, m: string) => lines.push(`info ${m}`), warn: (_: object, m: string) => lines.push(`warn ${m}`) };
}

describe('embedded Postgres ownership', () => {
  it('a second process uses the server a live owner runs, and stopping it leaves the server up', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const owner = await startOwner(dataDir, port);
    const log = recorder();
    const attached = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'postgres', log });
    expect(attached.owned).toBe(false);
    expect(attached.url).toContain(`:${port}/`); // the owner's server, whatever port we were told
    expect(await selectOne(attached.url)).toBe(1);
    await attached.stop();
    expect(await selectOne(attached.url)).toBe(1);
    expect(log.lines.join('\n')).toMatch(new RegExp(`using the embedded Postgres of the running EntryGuard process ${owner.pid}`));
    owner.kill('SIGTERM');
  });

  it('a server whose owner was killed is stopped (and logged) by the next start, which then owns its own', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const owner = await startOwner(dataDir, port);
    const orphan = runningServer(dataDir)!;
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    expect(isAlive(orphan.pid)).toBe(true); // kill -9 leaves the server running

    const log = recorder();
    const pg = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', log });
    cleanup.push(() => pg.stop());
    expect(pg.owned).toBe(true);
    expect(isAlive(orphan.pid)).toBe(false);
    expect(log.lines.join('\n')).toMatch(new RegExp(`warn stopping an orphaned embedded Postgres \\(pid ${orphan.pid}\\)`));
    expect(log.lines.join('\n')).toMatch(new RegExp(`info stopped the orphaned embedded Postgres \\(pid ${orphan.pid}\\)`));
    expect(await selectOne(pg.url)).toBe(1);
    await pg.stop();
    expect(runningServer(dataDir)).toBeUndefined();
  });

  it('a server that cannot start says why, with its own last log lines', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    cleanup.push(() => new Promise((r) => blocker.close(r)));
    const err = await startEmbeddedPostgres({ dataDir, port, database: 'postgres' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/embedded Postgres failed to start on port \d+/);
    expect(err?.message).toMatch(/could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
  });
});
