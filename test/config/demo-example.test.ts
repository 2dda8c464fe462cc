import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, PROVIDER_KINDS } from '../../src/cloud/registry.ts';
import { parseOrgFile } from '../../src/config/org-file.ts';
import { applyOrgConfig } from '../../src/engine/apply-org-config.ts';
import { systemActor } from '../../src/engine/audit.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf } from '../helpers/seed.ts';
import { sessionState, userByEmail } from './apply-helpers.ts';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/config/examples/demo.yaml');

let t: TestEngine;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'eg-demo-'));
  const logger = createLogger({ level: 'silent' });
  t = await createTestEngine({ providers: createProviderRegistry({ secrets: { resolve: async () => undefined }, logger }) });
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

const read = (name: string) => readFile(path.join(dir, name), 'utf8').catch(() => '');

describe('the demo organization', () => {
  it('opens and closes addresses in its allowlist files through the real script provider', async () => {
    const file = parseOrgFile(await readFile(DEMO, 'utf8'), { knownKinds: PROVIDER_KINDS });
    // The shipped commands, with the allowlists moved out of the checkout's .data/.
    for (const r of file.organizations[0]!.resources) {
      const env = r.config.env as Record<string, string>;
      env.ALLOWLIST = path.join(dir, 'nested', path.basename(env.ALLOWLIST!));
    }
    await applyOrgConfig(t.deps, file, { dryRun: false, actor: systemActor(null, 'demo'), knownKinds: PROVIDER_KINDS });
    await t.runJobs(); // verification creates the files

    const dev = await userByEmail(t.deps.db, 'dev@demo.local');
    const id = await startSession(t.deps, { orgId: dev.orgId, userId: dev.id, durationMinutes: 60, ipv4: '203.0.113.9', ipv6: '2001:db8::9', origin: 'api', actor: actorOf(dev) });
    await t.runJobs();
    expect((await sessionState(t.deps.db, id)).state).toBe('ACTIVE');
    expect((await read('nested/demo-allowlist-ssh.txt')).split('\n').filter(Boolean).sort()).toEqual(['2001:db8::9/128', '203.0.113.9/32']);
    expect((await read('nested/demo-allowlist-postgres.txt')).split('\n').filter(Boolean).sort()).toEqual(['2001:db8::9/128', '203.0.113.9/32']);

    await stopSession(t.deps, { sessionId: id, actor: actorOf(dev) });
    await t.runJobs();
    expect((await sessionState(t.deps.db, id)).state).toBe('CANCELLED');
    expect(await read('nested/demo-allowlist-ssh.txt')).toBe('');
    expect(await read('nested/demo-allowlist-postgres.txt')).toBe('');
  });
});
