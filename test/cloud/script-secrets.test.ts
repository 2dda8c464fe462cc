import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptProvider } from '../../src/cloud/script/script-provider.ts';
import { parseOrgFile } from '../../src/config/org-file.ts';
import type { ResourceTarget, SecretResolver } from '../../src/engine/ports.ts';
import { createSecretResolver } from '../../src/main/secrets.ts';

/** Issue 10, point 10: a script resource must not become a way to read EntryGuard's own secrets. */

const orgFile = (ref: string) => `
organizations:
  - slug: acme
    name: Acme
    plan: team
    credentials:
      - name: host
        provider: script
        ref: "${ref}"
    resources:
      - name: bastion
        kind: script
        identifier: bastion
        credential: host
        ports: [{ protocol: tcp, from: 22 }]
        config: { apply: "true", revoke: "true" }
`;

describe('credential references may not name EntryGuard’s own configuration', () => {
  const refused = [
    'env:SLACK_SIGNING_SECRET',
    'env:SLACK_BOT_TOKEN',
    'env:SLACK_SOMETHING_NEW',
    'env:TEAMS_APP_PASSWORD',
    'env:DATABASE_URL',
    'env:DATABASE_URL_FILE',
    'env:SLACK_SIGNING_SECRET_FILE',
    'env:METRICS_TOKEN',
    'env:TRUST_PROXY',
    'env:PGPASSWORD',
    'file:/proc/self/environ',
    'file:/proc/1/environ',
    'file:/etc/../proc/self/environ',
    'file:/sys/kernel/notes',
    'file:.env',
  ];
  for (const ref of refused) {
    it(`refuses ${ref} at config validation`, () => {
      expect(() => parseOrgFile(orgFile(ref))).toThrow(/EntryGuard's own|not a place for credentials|absolute path/);
    });
  }

  it('accepts references of the cloud’s own', () => {
    for (const ref of ['env:AWS_BASTION_KEY', 'file:/run/secrets/bastion.json', 'default']) expect(() => parseOrgFile(orgFile(ref))).not.toThrow();
  });

  it('the resolver refuses them too (a reference stored before this check), and a file that is one of EntryGuard’s *_FILE secrets', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-secret-'));
    const own = path.join(dir, 'signing');
    await fs.writeFile(own, 'signing-secret-value\n');
    const resolver = createSecretResolver({ SLACK_SIGNING_SECRET: 's3cr3t', SLACK_SIGNING_SECRET_FILE: own, CLOUD_KEY: 'ok' });
    await expect(resolver.resolve('env:SLACK_SIGNING_SECRET')).rejects.toThrow(/EntryGuard's own/);
    await expect(resolver.resolve('file:/proc/self/environ')).rejects.toThrow(/not a place for credentials/);
    await expect(resolver.resolve(`file:${own}`)).rejects.toThrow(/EntryGuard's own/);
    await expect(resolver.resolve(`file:${dir}/./signing`)).rejects.toThrow(/EntryGuard's own/);
    await expect(resolver.resolve('env:CLOUD_KEY')).resolves.toBe('ok');
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('script output never carries the credential', () => {
  const SECRET = 'tok-7f3a9c2e1b5d4f60';
  let dir: string;
  let logs: Record<string, unknown>[];
  const secrets = (value: string): SecretResolver => ({ resolve: async () => value });
  const target = (config: Record<string, unknown>): ResourceTarget => ({
    id: '00000000-0000-4000-8000-000000000002',
    orgId: 'org',
    name: 'bastion',
    kind: 'script',
    identifier: 'bastion',
    region: null,
    ports: [{ protocol: 'tcp', from: 22, to: 22 }],
    config,
    credential: { name: 'host', provider: 'script', secretRef: 'env:HOST_KEY', options: {} },
  });
  const logger = () => pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-script-secret-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('`set -x` output: the user sees a short message; the detail for admins has the secret removed', async () => {
    logs = [];
    const provider = createScriptProvider({ secrets: secrets(SECRET), logger: logger() });
    const cmd = 'set -x; curl_fake() { echo "auth failed for $1" >&2; }; curl_fake "Bearer $EG_CREDENTIAL"; exit 1';
    const r = await provider.apply(target({ apply: cmd, revoke: 'true' }), { add: ['203.0.113.9/32'], remove: [] });
    const outcome = r.added.get('203.0.113.9/32')!;
    expect(outcome.ok).toBe(false);
    const message = outcome.ok ? '' : outcome.error.message;
    expect(message).not.toContain(SECRET);
    expect(message).toBe('apply command failed (exit 1); details are in the EntryGuard log');
    const detail = JSON.stringify(logs);
    expect(detail).toContain('auth failed for Bearer [redacted]');
    expect(detail).not.toContain(SECRET);
  });

  it('a JSON credential: each of its values is removed, also when printed on its own', async () => {
    logs = [];
    const json = JSON.stringify({ accessKeyId: 'AKIAEXAMPLE123456', secretAccessKey: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY' });
    const provider = createScriptProvider({ secrets: secrets(json), logger: logger() });
    const cmd = 'echo "$EG_CREDENTIAL" >&2; echo "key=$(echo "$EG_CREDENTIAL" | sed -e "s/.*secretAccessKey\\":\\"//" -e "s/\\".*//")" >&2; exit 3';
    const v = await provider.verify(target({ apply: 'true', revoke: 'true', verify: cmd }));
    expect(v.reachable).toBe(false);
    const all = JSON.stringify([v.message, logs]);
    expect(all).not.toContain('wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY');
    expect(all).not.toContain('AKIAEXAMPLE123456');
    expect(v.message).toContain('[redacted]');
  });

  it('a command that cannot even be started (a NUL byte in the secret) is a failure outcome, not a crash, and does not echo the value', async () => {
    logs = [];
    const provider = createScriptProvider({ secrets: secrets(`${SECRET}\u0000tail`), logger: logger() });
    const r = await provider.apply(target({ apply: 'true', revoke: 'true' }), { add: ['203.0.113.10/32'], remove: [] });
    const outcome = r.added.get('203.0.113.10/32')!;
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify([outcome.ok ? '' : outcome.error.message, logs])).not.toContain(SECRET);
  });

  it('a missing working directory is a failure outcome too', async () => {
    logs = [];
    const provider = createScriptProvider({ secrets: secrets(SECRET), logger: logger() });
    const r = await provider.apply(target({ apply: 'true', revoke: 'true', cwd: path.join(dir, 'nope') }), { add: ['203.0.113.11/32'], remove: [] });
    expect(r.added.get('203.0.113.11/32')!.ok).toBe(false);
  });
});
