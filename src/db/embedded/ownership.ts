import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Who owns a running embedded Postgres. The process that starts the server writes
 * `entryguard-owner.json` into the data folder; another process that finds the server running
 * (a CLI command next to `npm start`) uses it and leaves it alone while that owner lives. A
 * server whose owner is gone (kill -9) is an orphan and may be stopped.
 */
const OWNER_FILE = 'entryguard-owner.json';

export interface Owner {
  pid: number;
  /** The owner's start time (kernel clock ticks since boot), so a reused pid is not mistaken for it. */
  startTime: string | null;
}

export interface RunningServer {
  pid: number;
  port: number;
}

/** The kernel's start time of a live process, `null` where /proc is missing, `undefined` if it is gone. */
export function processStartTime(pid: number): string | null | undefined {
  if (!isAlive(pid)) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return process.platform === 'linux' ? undefined : null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeOwner(dataDir: string): void {
  const owner: Owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? null };
  fs.writeFileSync(path.join(dataDir, OWNER_FILE), JSON.stringify(owner), { mode: 0o600 });
}

export function removeOwner(dataDir: string): void {
  fs.rmSync(path.join(dataDir, OWNER_FILE), { force: true });
}

/** The recorded owner if it is still the same live process. */
export function liveOwner(dataDir: string): Owner | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return undefined;
  const started = processStartTime(owner.pid);
  if (started === undefined) return undefined;
  return owner.startTime === null || started === null || started === owner.startTime ? owner : undefined;
}

/** The postmaster serving `dataDir` right now, from its own lock file, if it is alive and really that server. */
export function runningServer(dataDir: string): RunningServer | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return undefined;
  } catch {
    if (process.platform === 'linux') return undefined;
  }
  return { pid, port };
}

/** Fast shutdown of a postmaster we did not start (an orphan); escalates if it does not go. */
export async function stopServerProcess(pid: number, timeoutMs = 30_000): Promise<void> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGKILL'];
  for (const signal of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + (signal === 'SIGINT' ? timeoutMs : 5_000);
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return;
      await sleep(50);
    }
  }
}
