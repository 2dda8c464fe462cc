import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEnv } from '../helpers/entryguard-process.ts';
import { createEmptyDatabase } from '../helpers/db.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// The compiled build (`npm run build`), made in a scratch folder laid out like the repository so a
// developer's own dist/ is left alone: dist/ beside migrations/ (found at ../../migrations from
// dist/db), node_modules and package.json (type: module). What the build must get right is what
// src loads by path at run time: the migrations, the lazy provider imports, the example files.
let dir: string;
let db: Awaited<ReturnType<typeof createEmptyDatabase>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eg-build-'));
  for (const f of ['node_modules', 'migrations']) fs.symlinkSync(path.join(root, f), path.join(dir, f));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist')], { cwd: root });
  fs.cpSync(path.join(root, 'src/config/examples'), path.join(dir, 'dist/config/examples'), { recursive: true });
  db = await createEmptyDatabase('build');
}, 600_000);

afterAll(async () => {
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [path.join(dir, 'dist/main/cli.js'), ...args], { cwd: dir, env: cliEnv(env), timeout: 120_000 });

it('compiles, and the compiled CLI prints its help, validates an org file and migrates a database', async () => {
  const help = await cli(['--help']);
  expect(help.stdout).toContain('Usage: entryguard <command>');
  expect(fs.readdirSync(path.join(dir, 'dist/cloud/aws-security-group')).some((f) => f.endsWith('.js'))).toBe(true);

  const valid = await cli(['config', 'validate', path.join(root, 'src/config/examples/org.example.yaml')]);
  expect(valid.stdout).toContain('OK:');

  // Every provider kind through the registry's lazy import() (rewritten to .js), SDKs and all.
  const load = `const { createProviderRegistry } = await import('./dist/cloud/registry.js');
    const { createLogger } = await import('./dist/shared/logger.js');
    const r = createProviderRegistry({ secrets: { resolve: async () => undefined }, logger: createLogger({ level: 'silent' }) });
    for (const k of r.kinds()) await r.get(k);
    console.log('loaded', r.kinds().length);`;
  const providers = await run(process.execPath, ['--input-type=module', '-e', load], { cwd: dir, env: cliEnv({}), timeout: 120_000 });
  expect(providers.stdout.trim()).toBe('loaded 5');

  await cli(['migrate'], { DATABASE_URL: db.appUrl, DATABASE_OWNER_URL: db.ownerUrl, LOG_LEVEL: 'warn' });
  const sql = postgres(db.ownerUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    const journal = JSON.parse(fs.readFileSync(path.join(root, 'migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(row!.n).toBe(journal.entries.length);
  } finally {
    await sql.end();
  }
}, 240_000);
