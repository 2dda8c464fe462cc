import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatWorkspaces, claims, sessions, slackInstallations } from '../../../src/db/schema/index.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { cookieHeader } from '../../http/helpers.ts';
import { claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

const CLIENT = { clientId: '111.222', clientSecret: 'client-secret-for-tests' };
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  h = await createSlackHarness({ settings: { botToken: undefined, oauth: CLIENT, authorizeUrl: 'https://slack.example.test/oauth/v2/authorize' } });
  const org = await seedOrg(h.deps.db);
  orgId = org.id;
  await h.deps.db.insert(chatWorkspaces).values({ orgId, platform: 'slack', externalId: 'T999' });
  const alice = await seedUser(h.deps.db, orgId, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, orgId);
  await seedRole(h.deps.db, orgId, { members: [alice.id], resources: [r.id] });
  h.fake.addUser('UALICE9', 'alice@example.com', 'T999');
  h.fake.joinChannel('C999');
});
afterAll(async () => h?.close());

/** The browser's trip: our install link → (Slack's consent page) → our redirect with a code. */
async function install(code: string, opts: { cookie?: string | null; tamper?: boolean } = {}) {
  const start = await h.app.inject({ method: 'GET', url: '/slack/install' });
  const location = new URL(String(start.headers.location));
  let state = location.searchParams.get('state')!;
  if (opts.tamper) state = state.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 3600}.`);
  const cookie = opts.cookie === null ? undefined : (opts.cookie ?? cookieHeader(start.headers['set-cookie']));
  const res = await h.app.inject({ method: 'GET', url: `/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, headers: cookie ? { cookie } : {} });
  return { start, location, res };
}

describe('OAuth install for many workspaces', () => {
  it('sends the browser to Slack with our client id, the scopes, our redirect and a state pinned in a cookie', async () => {
    const { start, location } = await install('unused');
    expect(start.statusCode).toBe(302);
    expect(location.origin + location.pathname).toBe('https://slack.example.test/oauth/v2/authorize');
    expect(location.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(location.searchParams.get('scope')!.split(',')).toContain('users:read.email');
    expect(location.searchParams.get('redirect_uri')).toBe('https://eg.example.test/slack/oauth_redirect');
    expect(String(start.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax/);
  });

  it('refuses a callback without the cookie, with a forged state, or with a bad code, and stores nothing', async () => {
    h.fake.grantOAuth('code-1', { teamId: 'T999', teamName: 'Nine', botToken: 'xoxb-team-9', ...CLIENT });
    expect((await install('code-1', { cookie: null })).res.statusCode).toBe(400);
    expect((await install('code-1', { cookie: 'eg_slack_oauth=someone-else' })).res.statusCode).toBe(400);
    expect((await install('code-1', { tamper: true })).res.statusCode).toBe(400);
    expect((await install('not-a-code')).res.statusCode).toBe(400);
    expect(await h.deps.db.select().from(slackInstallations)).toEqual([]);
  });

  it('stores the installation sealed and bound to the org, and then serves that workspace with its own token', async () => {
    const { res } = await install('code-1');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('EntryGuard is installed in Nine');
    const [row] = await h.deps.db.select().from(slackInstallations);
    expect(row).toMatchObject({ teamId: 'T999', orgId, botUserId: 'UBOT9', installedBy: 'UINSTALLER' });
    expect(row!.botTokenSealed).not.toContain('xoxb-team-9');

    const cmd = await h.command('start 1h', 'UALICE9', { team: 'T999', channel: 'C999' });
    expect(cmd.res.status).toBe(200);
    const link = claimUrlOf(cmd.replies[0]);
    expect(h.fake.calls.find((c) => c.method === 'users.info')!.token).toBe('xoxb-team-9');
    await h.confirmClaim(link);
    await h.runJobs();
    const posted = h.fake.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((c) => c.token === 'xoxb-team-9')).toBe(true);
    // Started in a channel: the card (email, address) goes to the person's DM.
    expect(h.fake.roots('C999')).toEqual([]);
    expect(h.fake.roots('DALICE9')[0]!.text).toContain('Active');
    expect((await h.deps.db.select().from(sessions))[0]!.state).toBe('ACTIVE');
  });

  it('ignores commands from a workspace that never installed the app', async () => {
    const before = (await h.deps.db.select().from(claims)).length;
    const cmd = await h.command('start 1h', 'UALICE9', { team: 'T000', channel: 'C999' });
    expect(cmd.res.status).toBe(200);
    expect(cmd.replies).toEqual([]);
    expect(await h.deps.db.select().from(claims)).toHaveLength(before);
  });

  it('answers a workspace installed but not bound to an org with how to bind it', async () => {
    h.fake.grantOAuth('code-2', { teamId: 'T777', teamName: 'Seven', botToken: 'xoxb-team-7', ...CLIENT });
    const { res } = await install('code-2');
    expect(res.body).toContain('not bound to an organization');
    const [row] = await h.deps.db.select().from(slackInstallations).where(eq(slackInstallations.teamId, 'T777'));
    expect(row!.orgId).toBeNull();
  });
});

/** A token sealed the way releases before the team-id binding did (format v1: no associated data). */
function legacySeal(token: string): string {
  const key = Buffer.from(hkdfSync('sha256', CLIENT.clientSecret, 'entryguard', 'slack-installation-token', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

describe('sealed tokens are bound to their workspace', () => {
  const sealedOf = async (teamId: string) => (await h.deps.db.select().from(slackInstallations).where(eq(slackInstallations.teamId, teamId)))[0]!.botTokenSealed;
  const setSealed = (teamId: string, value: string) => h.deps.db.update(slackInstallations).set({ botTokenSealed: value }).where(eq(slackInstallations.teamId, teamId));
  const callsWith = (token: string) => h.fake.calls.filter((c) => c.token === token).length;

  it('a token moved into another workspace’s row (database write access, no key) is refused, never used for that workspace', async () => {
    const own = await sealedOf('T999');
    await setSealed('T999', await sealedOf('T777'));
    const before = callsWith('xoxb-team-7');
    const claimsBefore = (await h.deps.db.select().from(claims)).length;
    const cmd = await h.command('status', 'UALICE9', { team: 'T999', channel: 'C999' });
    expect(cmd.res.status).toBe(200);
    expect(cmd.replies).toEqual([]);
    expect(callsWith('xoxb-team-7')).toBe(before);
    expect((await h.deps.db.select().from(claims)).length).toBe(claimsBefore);
    await setSealed('T999', own);
  });
});

describe('an upgrade from tokens sealed without the binding', () => {
  let up: SlackHarness;
  const sealedOf = async () => (await up.deps.db.select().from(slackInstallations).where(eq(slackInstallations.teamId, 'T555')))[0]!.botTokenSealed;
  const setSealed = (value: string) => up.deps.db.update(slackInstallations).set({ botTokenSealed: value }).where(eq(slackInstallations.teamId, 'T555'));
  beforeAll(async () => {
    up = await createSlackHarness({ settings: { botToken: undefined, oauth: CLIENT } });
    const org = await seedOrg(up.deps.db);
    await up.deps.db.insert(chatWorkspaces).values({ orgId: org.id, platform: 'slack', externalId: 'T555' });
    await seedUser(up.deps.db, org.id, { email: 'carol@example.com' });
    up.fake.addUser('UCAROL5', 'carol@example.com', 'T555');
    // As an older release left it: installed, token sealed in format v1.
    await up.deps.db.insert(slackInstallations).values({ teamId: 'T555', orgId: org.id, botTokenSealed: legacySeal('xoxb-team-5'), scopes: 'commands' });
  });
  afterAll(async () => up?.close());

  it('re-seals the old rows bound to their workspace on first use and keeps serving them; a v1 value appearing later is refused', async () => {
    const cmd = await up.command('status', 'UCAROL5', { team: 'T555', channel: 'C555' });
    expect(cmd.replies).toHaveLength(1);
    expect(up.fake.calls.find((c) => c.method === 'users.info')!.token).toBe('xoxb-team-5');
    expect(await sealedOf()).toMatch(/^v2\./);

    // Written after this process converted the old rows: someone put it there.
    await setSealed(legacySeal('xoxb-team-5'));
    const refused = await up.command('status', 'UCAROL5', { team: 'T555', channel: 'C555' });
    expect(refused.replies).toEqual([]);
  });
});
