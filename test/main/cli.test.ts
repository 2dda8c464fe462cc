import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cliArgv, cliEnv } from '../helpers/entryguard-process.ts';

/** The real CLI as a child process: what an operator types, and what comes back. */
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-cli-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, ...rest] = cliArgv(args);
  const child = spawn(file!, rest, { cwd: dir, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('entryguard CLI: usage mistakes', () => {
  it('an unknown command is named, followed by the usage, exit 2', async () => {
    const r = await run(['bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^entryguard: unknown command: bogus\n/);
    expect(r.stderr).toContain('Usage: entryguard <command>');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown subcommand or option is named too', async () => {
    const sub = await run(['config', 'frobnicate', 'x.yaml']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^entryguard: unknown command: config frobnicate \(config takes validate, apply\)/);
    const opt = await run(['doctor', '--bogus']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toMatch(/^entryguard: unknown option: --bogus\n/);
  });

  it('a missing flag or argument is named', async () => {
    const key = await run(['api-key', 'create', '--email', 'a@b.io']);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/^entryguard: api-key create: --org is required\n/);
    const value = await run(['api-key', 'create', '--email']);
    expect(value.code).toBe(2);
    expect(value.stderr).toMatch(/^entryguard: --email needs a value\n/);
    const file = await run(['config', 'validate']);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/^entryguard: config validate: FILE is required\n/);
  });
});

describe('entryguard config validate', () => {
  it('knows the provider kinds, suggests the one meant, and reports every problem at once', async () => {
    const file = path.join(dir, 'org.yaml');
    await fs.writeFile(
      file,
      [
        'organizations:',
        '  - slug: acme',
        '    plan: team',
        '    users: [{ email: ann@acme.io }]',
        '    resources:',
        '      - name: web',
        '        kind: aws-securitygroup',
        '        identifier: sg-0123456789abcdef0',
        '      - kind: script',
        '        identifier: x',
        '    roles: [{ name: devs, members: [ann@acme.io], resources: [web] }]',
        '',
      ].join('\n'),
    );
    const r = await run(['config', 'validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toMatch(/organizations\[0\]\.name: is required/);
    expect(r.stderr).toMatch(/organizations\[0\]\.resources\[0\]\.kind: unknown provider kind "aws-securitygroup"; did you mean aws-security-group\?/);
    expect(r.stderr).toMatch(/organizations\[0\]\.resources\[1\]\.name: is required/);
    expect(r.stdout).not.toContain('OK');

    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('aws-securitygroup', 'aws-security-group').replace('- kind: script', '- name: other\n        kind: script').replace('plan: team', 'plan: team\n    name: Acme'));
    const fixed = await run(['config', 'validate', file]);
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/^OK: /);
  });
});

describe('entryguard web on a port in use', () => {
  let database: TestDatabase;
  let blocker: net.Server;
  beforeAll(async () => {
    database = await createTestDatabase();
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => blocker?.close(r));
    await database?.drop();
  });

  it('says so in one line and exits 1, without a stack', async () => {
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await run(['web'], { DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: String(port), DEMO: 'false', LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`entryguard: port ${port} is already in use; set PORT to a free port (or stop the other process)\n`);
  }, 60_000);
});
