import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import { createClaim } from '../../src/engine/claims.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { createTestServer, freePort } from './helpers.ts';

/**
 * The claim flow in a real headless Chromium: the page, its CSP, the CSRF cookie, the form POST
 * (which browsers send with `Origin: null` under our no-referrer policy), the polling script and
 * the cross-origin call that adds the other IP family (page on 127.0.0.1, address on a host name the browser resolves to ::1).
 */
const CHROMIUM = '/usr/bin/chromium';
const V6_HOST = 'v6.entryguard.test';
const INSTALL_HINT = `Chromium is required for this test and was not found at ${CHROMIUM}. Install it with: apt-get update && apt-get install -y chromium`;

interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
interface PageDocument {
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
}

let t: TestEngine;
let app: FastifyInstance;
let browser: Browser;
let publicUrl: string;

beforeAll(async () => {
  // Fail loudly: CI installs Chromium, so a missing one is a broken setup, not a reason to skip.
  if (!existsSync(CHROMIUM)) throw new Error(INSTALL_HINT);
  t = await createTestEngine();
  const port = await freePort('::');
  publicUrl = `http://127.0.0.1:${port}`;
  // A single-stack IPv6 host name, as in production; the browser resolves it to ::1 (see launch).
  ({ app } = await createTestServer(t, { publicUrl, publicUrlV6: `http://${V6_HOST}:${port}` }));
  // '::' accepts both families here, so the page can reach us over IPv4 and IPv6.
  await app.listen({ host: '::', port });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-gpu',
      `--host-resolver-rules=MAP ${V6_HOST} [::1]`,
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await t?.close();
});

describe('claim page in Chromium', () => {
  it('shows the request, confirms on click, and follows the session to ACTIVE with both address families', async () => {
    const db = t.deps.db;
    const org = await seedOrg(db);
    const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
    const r1 = await seedResource(db, org.id, { name: 'prod-db' });
    await seedRole(db, org.id, { members: [alice.id], resources: [r1.id] });
    const { token } = await createClaim(t.deps, { orgId: org.id, userId: alice.id, durationMinutes: 120, origin: 'slack', ttlSeconds: 300, actor: actorOf(alice) });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));

    const res = await page.goto(`${publicUrl}/c/${token}`);
    expect(res?.status()).toBe(200);
    expect(await page.textContent('main')).toContain('Start a 2h session for alice@example.com');
    expect(await page.textContent('#eg-ip')).toBe('127.0.0.1');
    expect(await db.select().from(sessions).where(eq(sessions.userId, alice.id))).toHaveLength(0);

    await page.click('#eg-confirm');
    await page.waitForSelector('#eg-state');
    expect(await page.textContent('h1')).toBe('Session starting');

    // The worker's part: run due jobs while the page polls.
    let polling = true;
    const worker = (async () => {
      while (polling) {
        await t.runJobs();
        await sleep(250);
      }
    })();
    try {
      // Runs in the page; typed through a minimal shape (this project compiles without the DOM lib).
      await page.waitForFunction(
        () => {
          const doc = (globalThis as unknown as { document: PageDocument }).document;
          const items = [...doc.querySelectorAll('#eg-rules li')].map((li) => li.textContent ?? '');
          return doc.getElementById('eg-state')?.dataset.state === 'ACTIVE' && items.length === 2 && items.every((s) => s.includes('APPLIED'));
        },
        null,
        { timeout: 20_000, polling: 200 },
      );
    } catch (err) {
      throw new Error(`page did not reach ACTIVE with both families; page says: ${await page.textContent('main')}; console: ${problems.join(' | ')}`, { cause: err });
    } finally {
      polling = false;
      await worker;
    }
    expect(await page.textContent('#eg-state')).toBe('ACTIVE');
    expect(await page.textContent('h1')).toBe('Access is open');
    expect(await page.textContent('#eg-note')).toBe('Your access is open.');
    expect(await page.textContent('#eg-family')).toContain('IPv6 address was added');
    const [session] = await db.select().from(sessions).where(eq(sessions.userId, alice.id));
    expect(session).toMatchObject({ state: 'ACTIVE', ipv4: '127.0.0.1', ipv6: '::1' });
    expect(t.firewall.cidrs(r1.id).sort()).toEqual(['127.0.0.1/32', '::1/128']);
    // A CSP violation or a script error would show up here.
    expect(problems, problems.join(' / ')).toEqual([]);

    // Reloading the result page re-posts the form: a refusal (410) that still follows the session.
    await page.reload();
    expect(await page.textContent('h1')).toBe('Link already used');
    await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.getElementById('eg-state')?.dataset.state === 'ACTIVE', null, {
      timeout: 10_000,
    });
    expect(await db.select().from(sessions).where(eq(sessions.userId, alice.id))).toHaveLength(1);
    expect(problems.filter((p) => !p.includes('status of 410')), problems.join(' / ')).toEqual([]);
    await page.close();
  });
});
