import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

/*
 * The test gate must be able to fail. A dependency once turned every exit into status 0 (an
 * exit hook calling process.exit(0) on beforeExit), so `npm test` passed whatever failed.
 * These run real child processes and read their exit status.
 */
const root = path.resolve(import.meta.dirname, '../..');
const vitestBin = path.join(root, 'node_modules/vitest/vitest.mjs');

function runFixture(name: string) {
  return spawnSync(process.execPath, [vitestBin, 'run', '--config', 'test/gate/fixtures/vitest.config.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    // Reuse this run's Postgres server; the fixture still loads the whole global setup.
    env: { ...process.env, GATE_FIXTURE: name, TEST_DATABASE_URL: inject('pgAdminUrl'), CI: '1' },
  });
}

describe('the test gate', () => {
  it('exits non-zero when a test fails', { timeout: 150_000 }, () => {
    const r = runFixture('failing');
    expect(r.stdout + r.stderr).toMatch(/1 failed/);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
  });

  it('exits 0 when every test passes', { timeout: 150_000 }, () => {
    const r = runFixture('passing');
    expect(r.stdout + r.stderr).toMatch(/1 passed/);
    expect(r.status).toBe(0);
  });

  it('keeps the exit status a process sets after loading the database and service modules', () => {
    const script = [
      'await import("./src/db/embedded-postgres.ts");',
      'await import("./src/main/services.ts");',
      'await import("./test/helpers/global-setup.ts");',
      'process.exitCode = 3;',
    ].join(' ');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
