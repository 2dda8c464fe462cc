import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

/*
 * postgres.js 3.4.9 crashed the whole process (an uncatchable TypeError from a setImmediate)
 * when a connection's backend went away with a write queued — which a Postgres restart does to
 * every connection — and left such a connection unable to write again. bin/patch-postgres-js.mjs
 * fixes both at install; this proves it on a real server.
 */
const root = path.resolve(import.meta.dirname, '../..');

describe('the Postgres driver when a backend is killed', () => {
  it('is patched at install', () => {
    for (const dir of ['src', 'cjs/src']) {
      expect(fs.readFileSync(path.join(root, 'node_modules/postgres', dir, 'connection.js'), 'utf8')).toContain('entryguard patch');
    }
  });

  it('fails the query on the dead connection, then carries on; the process survives', { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'fixtures/killed-backend.mjs'), inject('pgAdminUrl')], { cwd: root, encoding: 'utf8', timeout: 50_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('rejected CONNECTION_CLOSED');
    expect(lines.filter((l) => l.endsWith('HUNG'))).toEqual([]);
    expect(lines.slice(-4)).toEqual(['pooled after kill 0 ok', 'pooled after kill 1 ok', 'pooled after kill 2 ok', 'pooled after kill 3 ok']);
  });
});
