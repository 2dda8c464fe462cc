import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.ts';

/**
 * The shipped alert rules are valid Prometheus rules (`promtool check rules`) and each alert fires
 * when it should and not before (`promtool test rules` with alerts.test.yml). promtool comes from
 * Debian's `prometheus` package (.ci/run installs it); without it this test fails, it does not skip.
 */
const dir = path.resolve(import.meta.dirname, '../../deploy/prometheus');

const promtool = (args: string[]) => {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool could not run (apt-get install prometheus): ${r.error.message}`);
  return r;
};

describe('deploy/prometheus/alerts.yml', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  it('passes its unit tests (promtool test rules)', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('alerts only on metrics EntryGuard serves', async () => {
    const served = (await createMetrics({ processMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name);
    const rules = await fs.readFile(path.join(dir, 'alerts.yml'), 'utf8');
    const used = new Set([...rules.matchAll(/\b(entryguard_[a-z_]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(served, name).toContain(name);
  });
});
