import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources, sessions } from '../../src/db/schema/index.ts';
import { freePort, cookieHeader, csrfField } from '../http/helpers.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { spawnEntryGuard, waitUntil, type EntryGuardProcess } from '../helpers/entryguard-process.ts';
import { startFakeSlack } from '../fakes/slack/fake-slack.ts';
import { slackHeaders, slashCommandBody } from '../fakes/slack/signing.ts';

/**
 * The real `entryguard start` process, pointed at the EC2, ARM/Entra ID and Compute emulators and
 * the fake Slack API by configuration alone: the org file's `endpoint:` settings, SLACK_API_URL,
 * secrets in the environment and the Azure emulator's CA in NODE_EXTRA_CA_CERTS, as an operator
 * on a sovereign cloud or a private network would set them. No code override anywhere. A person
 * starts a session in Slack, claims it from a browser, and the rules appear on all three clouds
 * while the card is posted to the channel.
 */
const SIGNING_SECRET = 'e2e-signing-secret';
let lab: CloudLab;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let database: TestDatabase;
let dir: string;
let proc: EntryGuardProcess | undefined;

beforeAll(async () => {
  [lab, slack, database] = await Promise.all([startCloudLab(), startFakeSlack({ token: 'xoxb-e2e' }), createTestDatabase()]);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-endpoints-'));
}, 120_000);
afterAll(async () => {
  await proc?.kill('SIGKILL');
  await Promise.all([lab?.close(), slack?.close(), database?.drop()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function orgFile(ids: { sg: string; nsg: string }): string {
  // Endpoints sit on the credential for AWS and GCP and on the resource for Azure: both places work.
  return `
organizations:
  - slug: sovereign
    name: Sovereign Org
    plan: team
    # The card goes to the channel the start came from (by default it would go to the person privately).
    settings: { chat: { channelCards: true } }
    slack: { teamIds: [T111] }
    credentials:
      - name: aws-gov
        provider: aws
        ref: env:TEST_AWS_KEYS
        options:
          endpoint: { url: "${lab.ec2.endpoint}", maxAttempts: 2, retryMode: standard, connectionTimeoutMs: 2000, requestTimeoutMs: 10000 }
      - { name: azure-gov, provider: azure, ref: env:LAB_AZURE_PRINCIPAL }
      - name: gcp-psc
        provider: gcp
        ref: env:LAB_GCP_SERVICE_ACCOUNT
        options: { endpoint: { apiEndpoint: "${lab.gcp.endpoint}", tokenUrl: "${lab.gcp.tokenUri}" } }
    resources:
      - { name: gov-sg, kind: aws-security-group, identifier: ${ids.sg}, region: eu-west-1, credential: aws-gov, ports: [{ protocol: tcp, from: 22 }] }
      - name: gov-nsg
        kind: azure-nsg
        identifier: ${ids.nsg}
        credential: azure-gov
        ports: [{ protocol: tcp, from: 22 }]
        config:
          priority: 300
          endpoint: { armEndpoint: "${lab.azure.endpoint}", authorityHost: "${lab.azure.authorityHost}", pollIntervalMs: 200 }
      - { name: psc-fw, kind: gcp-firewall, identifier: eg-e2e, credential: gcp-psc, ports: [{ protocol: tcp, from: 22 }], config: { project: eg-lab } }
    users:
      - { email: alice@example.com, slack: UALICE }
    roles:
      - { name: ops, members: [alice@example.com], resources: [gov-sg, gov-nsg, psc-fw] }
`;
}

describe('entryguard start on configured endpoints', () => {
  it('opens a session on all three emulators and posts its Slack card, configured by org file and environment only', { timeout: 300_000 }, async () => {
    const sg = lab.ec2.addGroup().groupId;
    const nsg = lab.azure.addNsg({ name: 'nsg-e2e' });
    await fs.writeFile(path.join(dir, 'org.yaml'), orgFile({ sg, nsg }));
    await fs.writeFile(path.join(dir, 'azure-ca.pem'), lab.azure.ca);
    slack.addUser('UALICE', 'alice@example.com');
    slack.joinChannel('C222');
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    proc = spawnEntryGuard(['start'], {
      cwd: dir,
      env: {
        DATABASE_URL: database.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        TRUST_PROXY: 'loopback',
        DEMO: 'false',
        LOG_LEVEL: 'info',
        ORG_CONFIG: path.join(dir, 'org.yaml'),
        SLACK_BOT_TOKEN: 'xoxb-e2e',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        // The Azure emulator's TLS certificate, trusted the way an operator trusts a private CA.
        NODE_EXTRA_CA_CERTS: path.join(dir, 'azure-ca.pem'),
        ...lab.secretEnv(),
      },
    });
    await proc.waitFor(/EntryGuard is running/, 120_000);

    // The org file's resources are verified through their endpoints before anyone may use them.
    const rows = () => database.db.select().from(resources);
    await waitUntil('every resource to be verified', async () => (await rows()).every((r) => r.verifiedAt && !r.verifyError), 120_000, 250).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify((await rows()).map((r) => [r.name, r.verifyError]))}\n${proc!.output()}`);
    });

    const body = slashCommandBody({ text: 'start 1h', user: 'UALICE', responseUrl: slack.responseUrl('e2e') });
    const command = await fetch(`${baseUrl}/slack/events`, { method: 'POST', body, headers: slackHeaders(SIGNING_SECRET, body) });
    expect(command.status).toBe(200);
    await waitUntil('the claim link in Slack', () => slack.responsesTo('e2e').length > 0, 60_000);
    const link = /https?:\/\/[^\s"<>]+\/c\/[A-Za-z0-9_-]+/.exec(JSON.stringify(slack.responsesTo('e2e')))![0];

    // The person opens the link from their own address (behind the loopback proxy EntryGuard trusts).
    const from = { 'x-forwarded-for': '203.0.113.77' };
    const page = await fetch(link, { headers: from });
    const confirm = await fetch(link, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...from, cookie: cookieHeader(page.headers.getSetCookie()), 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
      body: `csrf=${encodeURIComponent(csrfField(await page.text()) ?? '')}`,
    });
    expect(confirm.status).toBeLessThan(400);

    const cidrs = () => Promise.all(['gov-sg', 'gov-nsg', 'psc-fw'].map(async (name) => lab.cloudCidrs((await rows()).find((r) => r.name === name)!)));
    await waitUntil('the rules on all three clouds', async () => (await cidrs()).every((c) => c.includes('203.0.113.77/32')), 120_000, 250).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await cidrs())}\n${proc!.output()}`);
    });
    await waitUntil('the session to be ACTIVE', async () => (await database.db.select().from(sessions).where(eq(sessions.state, 'ACTIVE'))).length === 1, 60_000);
    // The card is posted at once and edited in place as each cloud answers.
    const card = () => JSON.stringify(slack.roots('C222').at(-1)?.blocks ?? []);
    await waitUntil('the card to show the session active everywhere', () => /Active/.test(card()) && ['gov-sg', 'gov-nsg', 'psc-fw'].every((n) => card().includes(n)) && !/opening|failed/.test(card()), 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${card()}`);
    });
    expect(card()).toContain('203.0.113.77');
    expect(slack.roots('C222')).toHaveLength(1);
    // Every Slack call went to SLACK_API_URL with the bot token.
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage').every((c) => c.token === 'xoxb-e2e')).toBe(true);

    await proc.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);
  });
});
