import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';

/**
 * The two-command promise, end to end: `entryguard start` with no DATABASE_URL starts an
 * embedded Postgres, applies the demo org, prints the URL and a demo key, serves a session
 * that opens the demo allowlist file; after a kill -9 it starts again; SIGTERM stops it cleanly.
 */
const root = path.resolve(import.meta.dirname, '../..');
let workDir: string;
const children: ChildProcess[] = [];

function cliArgv(command: string[]): string[] {
  // The CLI runs from a scratch folder (where its .data goes), so point at our own tsx loader.
  const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return [process.execPath, '--import', tsx, path.join(root, 'src/main/cli.ts'), ...command];
}

const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env });

function startCli(
  env: Record<string, string>,
  opts: { viaShell?: boolean } = {},
): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray> } {
  const argv = cliArgv(['start']);
  // `viaShell`: like `npm start`, a shell in between that runs the CLI as its child (`; true` keeps it from exec-ing).
  const [file, ...args] = opts.viaShell ? ['/bin/sh', '-c', `${argv.map((a) => `'${a}'`).join(' ')}; true`] : argv;
  const child = spawn(file!, args, {
    cwd: workDir,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (re: RegExp, ms = 60_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = out.match(re);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`entryguard exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => out, waitFor };
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (code) => r(code))));

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (workDir) {
    // A SIGKILLed run may leave its Postgres behind; the next start stops it, so start a last one if needed.
    await fs.rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
});

describe('entryguard start (embedded Postgres, demo org)', () => {
  it('starts, serves a session, survives kill -9, and shuts down cleanly', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-start-'));
    const port = String(await freePort());
    const env = { PORT: port, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn' };

    const first = startCli(env);
    await first.waitFor(/EntryGuard is running: (\S+)/, 120_000);
    const [, key] = await first.waitFor(/demo API key[^\n]*\n\s+(eg_live_\S+)/);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const res = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ duration: '1h' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const allowlist = path.join(workDir, '.data/demo-allowlist-ssh.txt');
    const deadline = Date.now() + 30_000;
    while (!(await fs.readFile(allowlist, 'utf8').catch(() => '')).includes('127.0.0.1/32')) {
      if (Date.now() > deadline) throw new Error(`allowlist never got the address:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = startCli(env);
    await second.waitFor(/EntryGuard is running/, 120_000);
    expect(second.output()).not.toContain('demo API key'); // the demo is applied once
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    // No Postgres left behind: the data folder's pid file is gone after a clean stop.
    await expect(fs.access(path.join(workDir, '.data/pg/postmaster.pid'))).rejects.toThrow();

    // Under `npm start`, SIGTERM reaches npm's shell, which dies without passing it on: the CLI
    // notices its parent is gone and shuts down just as cleanly, instead of lingering.
    const third = startCli({ ...env, npm_lifecycle_event: 'start' }, { viaShell: true });
    await third.waitFor(/EntryGuard is running/, 120_000);
    third.child.kill('SIGKILL');
    await exited(third.child);
    const gone = Date.now() + 30_000;
    while ((await fetch(`${base}/healthz`).then(() => true, () => false)) || (await fs.access(path.join(workDir, '.data/pg/postmaster.pid')).then(() => true, () => false))) {
      if (Date.now() > gone) throw new Error(`the CLI outlived its shell:\n${third.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 300_000);

  it('a CLI command next to the running server uses its embedded Postgres and never stops it', async () => {
    // Ports the kernel just handed out as free: a fixed random range collided with other tests' listeners.
    const port = String(await freePort());
    const env = { PORT: port, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info' };
    workDir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'eg-start-'));
    const server = startCli(env);
    await server.waitFor(/EntryGuard is running/, 120_000);
    const base = `http://127.0.0.1:${port}`;

    let output = '';
    for (const command of [['doctor'], ['api-key', 'create', '--org', 'demo', '--email', 'dev@demo.local']]) {
      const [file, ...args] = cliArgv(command);
      const r = spawnSync(file!, args, { cwd: workDir, env: cliEnv(env), encoding: 'utf8', timeout: 120_000 });
      output = r.stdout;
      expect(r.status, `${command.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/using the embedded Postgres of the running EntryGuard process/);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
    const key = /eg_live_\S+/.exec(output)?.[0];
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
  }, 300_000);
});
