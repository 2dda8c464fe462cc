import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckLink } from '../../src/engine/check-links.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { createTestServer, freePort } from './helpers.ts';

/**
 * The access check page in a real headless Chromium: GET shows and changes nothing, "Check now"
 * (a CSRF-checked form POST) runs the check from the browser's own address, and "Move my session
 * here" moves the session; the link then refuses a second use.
 */
const CHROMIUM = '/usr/bin/chromium';

let t: TestEngine;
let app: FastifyInstance;
let browser: Browser;
let publicUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required for this test and was not found at ${CHROMIUM}. Install it with: apt-get install -y chromium`);
  t = await createTestEngine();
  const port = await freePort('127.0.0.1');
  publicUrl = `http://127.0.0.1:${port}`;
  ({ app } = await createTestServer(t, { publicUrl }));
  await app.listen({ host: '127.0.0.1', port });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await t?.close();
});

describe('access check page in Chromium', () => {
  it('tells the person their address changed and moves the session to where the browser is', async () => {
    const db = t.deps.db;
    const org = await seedOrg(db);
    const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
    const r1 = await seedResource(db, org.id, { name: 'prod-db', ports: [{ protocol: 'tcp', from: 5432, to: 5432 }] });
    await seedRole(db, org.id, { members: [alice.id], resources: [r1.id] });
    const actor = actorOf(alice);
    const id = await startSession(t.deps, { orgId: org.id, userId: alice.id, durationMinutes: 60, ipv4: '203.0.113.7', origin: 'slack', actor });
    await t.runJobs();
    const { token } = await createCheckLink(t.deps, actor, { ttlSeconds: 300 });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });

    await page.goto(`${publicUrl}/k/${token}`);
    expect(await page.textContent('h1')).toBe('Check your access');
    expect(await page.textContent('#eg-ip')).toBe('127.0.0.1');
    // Opening the link changed nothing: it can still be used.
    expect(t.firewall.cidrs(r1.id)).toEqual(['203.0.113.7/32']);

    await page.click('#eg-check');
    await page.waitForSelector('#eg-verdicts');
    const verdicts = await page.$$eval('#eg-verdicts li', (els) => els.map((e) => [e.getAttribute('data-kind'), e.textContent]));
    expect(verdicts).toEqual([
      ['address-changed', 'Your address changed from 203.0.113.7 to 127.0.0.1.'],
      ['ports', 'prod-db only opens tcp/5432.'],
    ]);
    expect(await page.textContent('#eg-resources')).toContain('203.0.113.7/32 in place');

    await page.click('#eg-move');
    await page.waitForSelector('#eg-title');
    expect(await page.textContent('#eg-title')).toBe('Session moved');
    await t.runJobs();
    expect(t.firewall.cidrs(r1.id)).toEqual(['127.0.0.1/32']);
    const view = await getSession(t.deps, actor, id);
    expect(view.state).toBe('ACTIVE');
    expect(view.ipv4).toBe('127.0.0.1');

    expect(problems).toEqual([]);
    // Single use: the link refuses to run again (a 410 page).
    await page.goto(`${publicUrl}/k/${token}`);
    expect(await page.textContent('h1')).toBe('Link already used');
    await page.close();
  });

  it('refuses a form posted without the page\'s CSRF cookie', async () => {
    const db = t.deps.db;
    const org = await seedOrg(db);
    const bob = await seedUser(db, org.id);
    const r1 = await seedResource(db, org.id);
    await seedRole(db, org.id, { members: [bob.id], resources: [r1.id] });
    await startSession(t.deps, { orgId: org.id, userId: bob.id, durationMinutes: 60, ipv4: '203.0.113.8', origin: 'slack', actor: actorOf(bob) });
    const { token } = await createCheckLink(t.deps, actorOf(bob), { ttlSeconds: 300 });
    const res = await app.inject({ method: 'POST', url: `/k/${token}`, remoteAddress: '198.51.100.9', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: publicUrl }, payload: 'csrf=forged' });
    expect(res.statusCode).toBe(403);
    // Nothing was used up.
    const again = await app.inject({ method: 'GET', url: `/k/${token}`, remoteAddress: '198.51.100.9' });
    expect(again.statusCode).toBe(200);
  });
});
