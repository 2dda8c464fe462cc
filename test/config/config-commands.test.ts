import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_KINDS } from '../../src/cloud/registry.ts';
import { configApply, configValidate } from '../../src/main/commands/config-commands.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/config/examples');
/** The kinds of docs/architecture.md §7, which the example file shows off. */
const DESIGN_KINDS = ['aws-security-group', 'aws-prefix-list', 'azure-nsg', 'gcp-firewall', 'script'];

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

const files = (map: Record<string, string>) => async (p: string) => {
  if (p in map) return map[p]!;
  throw Object.assign(new Error('missing'), { code: 'ENOENT' });
};

const SMALL = `
organizations:
  - slug: cmd
    name: Commands
    plan: free
    users: [{ email: ann@cmd.io }]
    resources: [{ name: r1, kind: memory, identifier: r1 }]
    roles: [{ name: devs, members: [ann@cmd.io], resources: [r1] }]
`;

describe('config validate', () => {
  it('prints OK with a summary, or every problem, and returns the exit code', async () => {
    const ok = capture();
    expect(await configValidate('org.yaml', { ...ok.io, knownKinds: ['memory'], readFile: files({ 'org.yaml': SMALL }) })).toBe(0);
    expect(ok.out).toEqual(['OK: org.yaml', '  cmd (free): 1 user, 1 role, 1 resource, 0 credentials']);

    const bad = capture();
    const text = SMALL.replace('members: [ann@cmd.io]', 'members: [bob@cmd.io]').replace('kind: memory', 'kind: mystery');
    expect(await configValidate('org.yaml', { ...bad.io, knownKinds: ['memory'], readFile: files({ 'org.yaml': text }) })).toBe(1);
    expect(bad.err).toEqual([
      'org.yaml: 2 problems',
      '  - organizations[0].resources[0].kind: unknown provider kind "mystery"; known kinds: memory (line 7)',
      '  - organizations[0].roles[0].members[0]: unknown user bob@cmd.io: define it under users of organization cmd (line 8)',
    ]);
    expect(bad.out).toEqual([]);

    const tooMany = capture();
    const four = SMALL.replace('resources: [{ name: r1, kind: memory, identifier: r1 }]', 'resources: [{ name: a, kind: memory, identifier: a }, { name: b, kind: memory, identifier: b }, { name: c, kind: memory, identifier: c }, { name: r1, kind: memory, identifier: r1 }]');
    expect(await configValidate('org.yaml', { ...tooMany.io, readFile: files({ 'org.yaml': four }) })).toBe(1);
    expect(tooMany.err[1]).toContain('lists 4 active resources but the free plan allows 3');

    const missing = capture();
    expect(await configValidate('nope.yaml', { ...missing.io, readFile: files({}) })).toBe(1);
    expect(missing.err).toEqual(['nope.yaml: cannot read the file (ENOENT)']);
  });
});

describe('config apply', () => {
  it('prints the diff, then "no changes"; a dry run says so; a refusal returns 1', async () => {
    const ctx = (c: ReturnType<typeof capture>, text = SMALL) => ({ ...c.io, deps: t.deps, knownKinds: ['memory'], readFile: files({ 'org.yaml': text }) });
    const dry = capture();
    expect(await configApply('org.yaml', { dryRun: true }, ctx(dry))).toBe(0);
    expect(dry.out).toEqual([
      'cmd:',
      '  + organization cmd (Commands, plan free)',
      '  + resource r1 (memory r1)',
      '  + user ann@cmd.io',
      '  + role devs (1 member, 1 resource)',
      'dry run: nothing was changed',
    ]);
    const first = capture();
    expect(await configApply('org.yaml', { dryRun: false }, ctx(first))).toBe(0);
    expect(first.out).toEqual(dry.out.slice(0, -1));
    const second = capture();
    expect(await configApply('org.yaml', { dryRun: false }, ctx(second))).toBe(0);
    expect(second.out).toEqual(['no changes']);

    const invalid = capture();
    expect(await configApply('org.yaml', { dryRun: false }, ctx(invalid, 'organizations: 3'))).toBe(1);
    expect(invalid.err[0]).toBe('org.yaml: 1 problem');

    // A live session on r1 makes removing it a refusal.
    const { startSession } = await import('../../src/engine/start-session.ts');
    const { userByEmail } = await import('./apply-helpers.ts');
    const { actorOf } = await import('../helpers/seed.ts');
    await t.runJobs();
    const ann = await userByEmail(t.deps.db, 'ann@cmd.io');
    await startSession(t.deps, { orgId: ann.orgId, userId: ann.id, durationMinutes: 60, ipv4: '198.51.100.20', origin: 'api', actor: actorOf(ann) });
    const refused = capture();
    const without = SMALL.replace('resources: [{ name: r1, kind: memory, identifier: r1 }]', '').replace('resources: [r1]', 'resources: []');
    expect(await configApply('org.yaml', { dryRun: false }, ctx(refused, without))).toBe(1);
    expect(refused.err).toEqual([
      'org.yaml: not applied (RESOURCE_IN_USE)',
      'Cannot apply organization cmd:',
      '  - resource r1 cannot be removed: 1 live session rule still uses it; stop those sessions (or wait for them to end) and apply again',
    ]);
  });
});

describe('the example files', () => {
  it('org.example.yaml validates, applies cleanly, and applies again with no changes', async () => {
    const file = path.join(EXAMPLES, 'org.example.yaml');
    const v = capture();
    expect(await configValidate(file, { ...v.io, knownKinds: DESIGN_KINDS })).toBe(0);
    expect(v.out[1]).toBe('  acme (team): 4 users, 2 roles, 5 resources, 4 credentials');

    const first = capture();
    expect(await configApply(file, { dryRun: false }, { ...first.io, deps: t.deps, knownKinds: DESIGN_KINDS })).toBe(0);
    expect(first.err).toEqual([]);
    expect(first.out).toContain('  + resource prod-db (aws-security-group sg-0abc1234def567890)');
    expect(first.out).toContain('  + user bob@acme.io (disabled)');
    const again = capture();
    expect(await configApply(file, { dryRun: false }, { ...again.io, deps: t.deps, knownKinds: DESIGN_KINDS })).toBe(0);
    expect(again.out).toEqual(['no changes']);
  });

  it('demo.yaml validates against the real provider kinds and applies cleanly', async () => {
    const file = path.join(EXAMPLES, 'demo.yaml');
    const v = capture();
    expect(await configValidate(file, { ...v.io, knownKinds: PROVIDER_KINDS })).toBe(0);
    const first = capture();
    expect(await configApply(file, { dryRun: false }, { ...first.io, deps: t.deps, knownKinds: PROVIDER_KINDS })).toBe(0);
    expect(first.out).toEqual([
      'demo:',
      '  + organization demo (EntryGuard demo, plan team)',
      '  + teams tenant 00000000-0000-4000-8000-00000000de00',
      '  + resource demo-ssh (script demo-allowlist-ssh)',
      '  + resource demo-postgres (script demo-allowlist-postgres)',
      '  + user admin@demo.local (Demo Admin, admin, teams 00000000-0000-4000-8000-00000000de01)',
      '  + user dev@demo.local (Demo Developer, teams 00000000-0000-4000-8000-00000000de02)',
      '  + role developers (2 members, 2 resources)',
    ]);
    const again = capture();
    expect(await configApply(file, { dryRun: false }, { ...again.io, deps: t.deps, knownKinds: PROVIDER_KINDS })).toBe(0);
    expect(again.out).toEqual(['no changes']);
  });
});
