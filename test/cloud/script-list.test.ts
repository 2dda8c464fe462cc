import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScriptProvider } from '../../src/cloud/script/script-provider.ts';
import type { FirewallProvider, ResourceTarget } from '../../src/engine/ports.ts';

/** The `list` command of a script resource prints a whole allowlist: EntryGuard reads it defensively. */

describe('script list', () => {
  let dir: string;
  let file: string;
  let provider: FirewallProvider;
  let warnings: { msg: string; lines?: string[]; ignored?: number }[];
  let resource: ResourceTarget;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-script-list-'));
    file = path.join(dir, 'allow.txt');
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    provider = createScriptProvider({ secrets: { resolve: async () => undefined }, logger });
    resource = {
      id: '00000000-0000-4000-8000-000000000001',
      orgId: 'org',
      name: 'bastion',
      kind: 'script',
      identifier: 'bastion',
      region: null,
      ports: [{ protocol: 'tcp', from: 22, to: 22 }],
      config: { apply: 'true', revoke: 'true', list: 'cat "$ALLOWLIST"', env: { ALLOWLIST: file } },
      credential: null,
    };
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));
  beforeEach(() => {
    warnings = [];
  });

  it('keeps CIDRs and bare addresses, ignores every other line with one warning naming them, and never fails for them', async () => {
    const junk = ['hello world', '10.0.0.5/24', '999.1.1.1', `x${'y'.repeat(300)}`, '198.51.100.7 # bob'];
    await fs.writeFile(file, ['10.0.0.1', '2001:DB8:0:0:0:0:0:1', '203.0.113.0/24', '# a comment', '', '  198.51.100.8/32  ', ...junk, '10.0.0.1/32'].join('\n'));

    const listed = await provider.list(resource);

    expect(listed?.map((e) => e.cidr)).toEqual(['10.0.0.1/32', '2001:db8::1/128', '203.0.113.0/24', '198.51.100.8/32']);
    expect(listed?.every((e) => e.intact === true)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.ignored).toBe(junk.length);
    expect(warnings[0]!.lines).toHaveLength(junk.length);
    expect(warnings[0]!.lines![0]).toBe('hello world');
    // A long line is named, not copied whole.
    expect(warnings[0]!.lines![3]!.length).toBeLessThanOrEqual(81);
    expect(warnings[0]!.msg).toMatch(/not a CIDR/);
  });

  it('says nothing when every line is an address', async () => {
    await fs.writeFile(file, '10.0.0.1/32\n10.0.0.2/32\n');
    expect((await provider.list(resource))?.map((e) => e.cidr)).toEqual(['10.0.0.1/32', '10.0.0.2/32']);
    expect(warnings).toEqual([]);
  });

  it('declares that its list shows the whole allowlist, not only what EntryGuard added', () => {
    expect(provider.listsForeignEntries).toBe(true);
  });
});
