import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { prepareRunAs, resolveBinaries, type RunAs } from './embedded/binaries.ts';
import { liveOwner, removeOwner, runningServer, stopServerProcess, writeOwner } from './embedded/ownership.ts';

export interface EmbeddedPostgresHandle {
  url: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /** False when another live EntryGuard process owns the server and we only use it. */
  owned: boolean;
  /** Stops the server if we own it (a no-op otherwise). */
  stop(): Promise<void>;
}

/** What the embedded server tells about itself (a pino-like logger fits). */
export interface EmbeddedLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const LOG_FILE = 'entryguard-postgres.log';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
/** initdb and postgres get nothing of our environment (which holds secrets), only a fixed locale. */
const SERVER_ENV = { LC_ALL: 'C', LANG: 'C' };

/**
 * A Postgres cluster in `dataDir`, for running with nothing but Node installed (initialised on
 * first use). One process owns the server: if a live EntryGuard process already serves this
 * folder, we use its server and never stop it; a server left behind by a process that is gone
 * (kill -9) is stopped first, and that is logged. The server runs in its own process group, so a
 * Ctrl-C in the terminal reaches us and not Postgres: we stop it last, after the worker drained.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  log?: EmbeddedLog;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'entryguard';

  const attached = await attachOrClearOrphan(dataDir, opts.log);
  if (attached) return handle(attached.port, database, false, async () => {});

  const binaries = resolveBinaries();
  const runAs = await prepareRunAs(dataDir, path.dirname(binaries.postgres));
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(binaries.initdb, dataDir, runAs);
  const server = await startServer(binaries.postgres, dataDir, opts.port, runAs);
  writeOwner(dataDir);

  let stopped = false;
  // A crash or process.exit() still stops the server we own (a kill -9 cannot: the next start
  // finds the orphan). Only a synchronous signal is possible in an 'exit' listener.
  const onExit = () => {
    if (!stopped) server.kill('SIGINT');
  };
  process.on('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    await server.stop();
    removeOwner(dataDir);
  };
  try {
    await ensureDatabase(urlFor(opts.port, 'postgres'), database);
  } catch (err) {
    await stop();
    throw err;
  }
  return handle(opts.port, database, true, stop);
}

function urlFor(port: number, db: string): string {
  return `postgres://postgres:postgres@127.0.0.1:${port}/${db}`;
}

function handle(port: number, database: string, owned: boolean, stop: () => Promise<void>): EmbeddedPostgresHandle {
  return { url: urlFor(port, database), urlFor: (db) => urlFor(port, db), owned, stop };
}

async function attachOrClearOrphan(dataDir: string, log: EmbeddedLog | undefined): Promise<{ port: number } | undefined> {
  const running = runningServer(dataDir);
  if (!running) return undefined;
  const owner = liveOwner(dataDir);
  if (owner) {
    log?.info({ dataDir, port: running.port, ownerPid: owner.pid }, `using the embedded Postgres of the running EntryGuard process ${owner.pid}`);
    return { port: running.port };
  }
  log?.warn({ dataDir, pid: running.pid }, `stopping an orphaned embedded Postgres (pid ${running.pid}) whose EntryGuard process is gone`);
  await stopServerProcess(running.pid);
  removeOwner(dataDir);
  log?.info({ dataDir, pid: running.pid }, `stopped the orphaned embedded Postgres (pid ${running.pid}); starting a fresh one`);
  return undefined;
}

async function initialise(initdb: string, dataDir: string, runAs: RunAs): Promise<void> {
  // The superuser password goes through a file only the server's user can read, removed at once.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eg-initdb-'));
  const pwfile = path.join(tmp, 'pw');
  fs.writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
  if (runAs.uid !== undefined) {
    fs.chownSync(tmp, runAs.uid, runAs.gid!);
    fs.chownSync(pwfile, runAs.uid, runAs.gid!);
  }
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const child = spawn(initdb, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: SERVER_ENV });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}) for ${dataDir}:\n${lastLines(output, 20)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface ServerProcess {
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * Spawns the postmaster with its log in a file (it must outlive us if we are killed, and a pipe
 * would not), and waits until it accepts connections. If it exits first, the error carries the
 * last lines it logged.
 */
async function startServer(binary: string, dataDir: string, port: number, runAs: RunAs): Promise<ServerProcess> {
  const logPath = path.join(dataDir, LOG_FILE);
  if (fs.existsSync(logPath) && fs.statSync(logPath).size > 10 * 1024 * 1024) fs.truncateSync(logPath, 0);
  const logFd = fs.openSync(logPath, 'a', 0o600);
  const offset = fs.fstatSync(logFd).size;
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawn(binary, args, { ...runAs, detached: true, stdio: ['ignore', logFd, logFd], env: SERVER_ENV });
  fs.closeSync(logFd);
  child.unref();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  child.on('error', () => {}); // a spawn failure shows as an exit below
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const log = readFrom(logPath, offset);
    if (log.includes(READY)) break;
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      const how = exited ? `exited (${exited.signal ?? `code ${exited.code}`})` : `was not ready after ${START_TIMEOUT_MS / 1000} s`;
      throw new Error(`embedded Postgres failed to start on port ${port} (data in ${dataDir}): the server ${how}. Its last log lines:\n${lastLines(log, 15)}`);
    }
    await sleep(20);
  }
  return {
    kill: (signal) => {
      if (!exited) child.kill(signal);
    },
    async stop() {
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown: running queries are cancelled, nothing is lost
      const escalate = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exit;
      clearTimeout(escalate);
    },
  };
}

function readFrom(file: string, offset: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n') || '(nothing logged)';
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await client`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await client.unsafe(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end({ timeout: 5 });
  }
}

