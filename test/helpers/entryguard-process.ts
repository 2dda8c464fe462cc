import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A real `entryguard <command>` process (the CLI a user runs), for tests that kill, restart and
 * run several of them on one database. Output is collected; `waitFor` polls it.
 */
export interface EntryGuardProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null after a signal). */
  exited(): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const root = path.resolve(import.meta.dirname, '../..');

export function cliArgv(command: string[], entry = path.join(root, 'src/main/cli.ts')): string[] {
  // The CLI may run from a scratch folder (where its .data goes), so point at our own tsx loader.
  const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return [process.execPath, '--import', tsx, entry, ...command];
}

/** A clean environment: nothing of the test runner's leaks into the process but PATH and HOME. */
export const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env });

export function spawnEntryGuard(
  command: string[],
  opts: { cwd: string; env: Record<string, string>; viaShell?: boolean; entry?: string | undefined },
): EntryGuardProcess {
  const argv = cliArgv(command, opts.entry);
  // `viaShell`: like `npm start`, a shell in between that runs the CLI as its child (`; true` keeps it from exec-ing).
  const [file, ...args] = opts.viaShell ? ['/bin/sh', '-c', `${argv.map((a) => `'${a}'`).join(' ')}; true`] : argv;
  const child = spawn(file!, args, { cwd: opts.cwd, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    async waitFor(re, ms = 60_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`entryguard ${command.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited: () => exit,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Polls until `check` holds (errors count as "not yet"). */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, ms = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
