import { eq, isNull } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { claims, sessions } from '../../src/db/schema/index.ts';
import { createClaim } from '../../src/engine/claims.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { connectSource } from '../../src/http/routes/claim.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import { cookieHeader, createTestServer, csrfField, freePort, PUBLIC_URL, useTestServer } from './helpers.ts';

const V6_URL = 'https://v6.eg.example.test';

let t: TestEngine;
let app: FastifyInstance;
let fx: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const db = t.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id], resources: [r1.id] });
  return { org, alice, r1 };
}

useTestServer(async (engine, server) => {
  t = engine;
  app = server;
  fx = await seed();
}, { publicUrlV6: V6_URL });

const newClaim = async (ttlSeconds = 300) =>
  (await createClaim(t.deps, { orgId: fx.org.id, userId: fx.alice.id, durationMinutes: 120, origin: 'slack', ttlSeconds, actor: actorOf(fx.alice) })).token;
const sessionsOfAlice = () => t.deps.db.select().from(sessions).where(eq(sessions.userId, fx.alice.id));
const view = (token: string, headers: Record<string, string> = {}, remoteAddress = '203.0.113.7') =>
  app.inject({ method: 'GET', url: `/c/${token}`, headers, remoteAddress });

/** GET the page like a browser, then POST the form with its cookie and field. */
async function confirm(token: string, opts: { csrf?: string; cookie?: string; origin?: string | null; remoteAddress?: string } = {}) {
  const page = await view(token);
  const cookie = opts.cookie ?? cookieHeader(page.headers['set-cookie']);
  const csrf = opts.csrf ?? csrfField(page.body) ?? '';
  const headers: Record<string, string> = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.origin !== null) headers.origin = opts.origin ?? PUBLIC_URL;
  const res = await app.inject({ method: 'POST', url: `/c/${token}`, headers, payload: `csrf=${encodeURIComponent(csrf)}`, remoteAddress: opts.remoteAddress ?? '203.0.113.7' });
  return Object.assign(res, { sent: { cookie, csrf } });
}

describe('GET /c/:token', () => {
  it('shows what will happen, with the detected IP, and changes nothing (twice)', async () => {
    const token = await newClaim();
    for (let i = 0; i < 2; i++) {
      const res = await view(token);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Start a <strong>2h</strong> session for <strong>alice@example.com</strong>');
      expect(res.body).toContain('<code id="eg-ip">203.0.113.7</code>');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-frame-options']).toBe('DENY');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(res.body).toContain(`<style nonce="${nonce}">`);
      expect(res.body).not.toMatch(/<script(?! type="application\/json")/);
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^eg_csrf=[\w-]{43}; Path=\/c\/; Max-Age=300; HttpOnly; SameSite=Strict; Secure$/);
      expect(csrfField(res.body)).toBe(cookie.split(';')[0]!.split('=')[1]);
    }
    expect(await sessionsOfAlice()).toHaveLength(0);
    const [claim] = await t.deps.db.select().from(claims).where(eq(claims.userId, fx.alice.id));
    expect(claim?.usedAt).toBeNull();
  });

  it('keeps an existing CSRF cookie so two open tabs both work', async () => {
    const token = await newClaim();
    const cookie = `eg_csrf=${'a'.repeat(43)}`;
    const res = await view(token, { cookie });
    expect(cookieHeader(res.headers['set-cookie'])).toBe(cookie);
    expect(csrfField(res.body)).toBe('a'.repeat(43));
  });

  it('escapes everything it shows', async () => {
    const mallory = await seedUser(t.deps.db, fx.org.id, { email: '<img src=x onerror=alert(1)>@example.com' });
    await seedRole(t.deps.db, fx.org.id, { members: [mallory.id], resources: [fx.r1.id] });
    const { token } = await createClaim(t.deps, { orgId: fx.org.id, userId: mallory.id, origin: 'slack', ttlSeconds: 300, actor: actorOf(mallory) });
    const res = await view(token);
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;@example.com');
    expect(res.body).not.toContain('<img');
  });

  it('404 page for an unknown or malformed token', async () => {
    for (const token of ['x'.repeat(43), 'bad token', '<script>']) {
      const res = await app.inject({ url: `/c/${encodeURIComponent(token)}`, remoteAddress: '203.0.113.7' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('This link is not valid');
      expect(res.body).not.toContain('<script>');
    }
  });
});

describe('POST /c/:token', () => {
  it('refuses without, or with a wrong, CSRF token or a foreign Origin, and changes nothing', async () => {
    const token = await newClaim();
    const noCsrf = await app.inject({ method: 'POST', url: `/c/${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL }, payload: '', remoteAddress: '203.0.113.7' });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.headers['content-type']).toContain('text/html');
    expect((await confirm(token, { csrf: 'b'.repeat(43) })).statusCode).toBe(403);
    expect((await confirm(token, { cookie: '' })).statusCode).toBe(403);
    expect((await confirm(token, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect(await sessionsOfAlice()).toHaveLength(0);
    expect((await view(token)).statusCode).toBe(200);
  });

  it('confirms: session PENDING, then ACTIVE after the jobs; the status JSON follows it; the link is then used', async () => {
    const token = await newClaim();
    // Browsers send `Origin: null` from a no-referrer page; the CSRF cookie still decides.
    const res = await confirm(token, { origin: 'null' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Session starting');
    const [session] = await sessionsOfAlice();
    expect(session).toMatchObject({ state: 'PENDING', ipv4: '203.0.113.7', origin: 'slack' });

    // Confirmed over IPv4 with a v6 host configured: the page reports the other family there.
    const config = JSON.parse(/<script type="application\/json" id="eg-config">(.*?)<\/script>/s.exec(res.body)![1]!);
    expect(config).toMatchObject({ statusUrl: `/c/${token}/status`, otherFamily: { url: `${V6_URL}/c/${token}/address`, familyToken: expect.any(String) } });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain(`connect-src 'self' ${V6_URL}`);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(res.body).toContain(`<script nonce="${nonce}">`);

    let status = await app.inject({ url: `/c/${token}/status` });
    expect(status.json()).toMatchObject({ state: 'PENDING', done: false, ipv4: '203.0.113.7' });
    await t.runJobs();
    status = await app.inject({ url: `/c/${token}/status` });
    expect(status.statusCode).toBe(200);
    expect(status.headers['cache-control']).toBe('no-store');
    expect(status.json()).toMatchObject({ state: 'ACTIVE', done: true, rules: [{ resourceName: 'prod-db', ipVersion: 4, state: 'APPLIED', error: null }] });
    expect(status.json()).not.toHaveProperty('id');

    // The other family, from the v6 host: CORS only for PUBLIC_URL's origin.
    const address = `/c/${token}/address`;
    const pre = await app.inject({ method: 'OPTIONS', url: address, headers: { origin: PUBLIC_URL, 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers).toMatchObject({ 'access-control-allow-origin': PUBLIC_URL, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' });
    const foreign = await app.inject({ method: 'OPTIONS', url: address, headers: { origin: 'https://evil.example' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const post = (familyToken: string) =>
      app.inject({ method: 'POST', url: address, headers: { origin: PUBLIC_URL, 'content-type': 'application/json' }, payload: { familyToken }, remoteAddress: '2001:db8::7' });
    const wrong = await post('nope');
    expect(wrong.statusCode).toBe(404);
    expect(wrong.headers['access-control-allow-origin']).toBe(PUBLIC_URL);
    const added = await post(config.otherFamily.familyToken);
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toEqual({ added: true, ipVersion: 6 });
    expect(added.headers['access-control-allow-origin']).toBe(PUBLIC_URL);
    expect((await post(config.otherFamily.familyToken)).json()).toEqual({ added: false, ipVersion: 6 });
    expect((await app.inject({ url: `/c/${token}/status` })).json()).toMatchObject({ state: 'ACTIVE', done: false, ipv6: '2001:db8::7' });
    await t.runJobs();
    expect(t.firewall.cidrs(fx.r1.id)).toEqual(expect.arrayContaining(['203.0.113.7/32', '2001:db8::7/128']));
    expect((await app.inject({ url: `/c/${token}/status` })).json()).toMatchObject({ done: true });

    // Reused link (a reload re-posts the same form): 410 page, no second session; GET says it was
    // used too. Both then follow the session the link started, so a reload still shows it.
    const reuse = await confirm(token, res.sent);
    const reopened = await view(token);
    for (const page of [reuse, reopened]) {
      expect(page.statusCode).toBe(410);
      expect(page.body).toContain('already started a session and cannot start another');
      expect(page.body).toContain('id="eg-state"');
      expect(page.body).toContain(`"statusUrl":"/c/${token}/status"`);
      expect(page.body).toContain('"otherFamily":null');
    }
    expect(await sessionsOfAlice()).toHaveLength(1);
    await stopSession(t.deps, { sessionId: session!.id, actor: actorOf(fx.alice) });
    await t.runJobs();
  });

  it('an oversized form is a 413 page, not JSON', async () => {
    const token = await newClaim();
    const res = await app.inject({ method: 'POST', url: `/c/${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${'a'.repeat(20_000)}` });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await view(token)).statusCode).toBe(200);
  });

  it('an expired link is a 410 page for GET and POST', async () => {
    const token = await newClaim(60);
    const page = await view(token);
    t.clock.advance(61_000);
    expect((await view(token)).statusCode).toBe(410);
    const res = await app.inject({
      method: 'POST',
      url: `/c/${token}`,
      headers: { cookie: cookieHeader(page.headers['set-cookie']), 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL },
      payload: `csrf=${csrfField(page.body)}`,
      remoteAddress: '203.0.113.7',
    });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('expired');
    expect((await sessionsOfAlice()).filter((s) => s.state !== 'CANCELLED')).toEqual([]);
  });

  it('a refusal by the engine shows its message and leaves the link usable', async () => {
    const token = await newClaim();
    // As if the plan changed between the chat command and the click: 90 minutes is not offered.
    await t.deps.db.update(claims).set({ durationMinutes: 90 }).where(isNull(claims.usedAt));
    const res = await confirm(token);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('1h30m is not offered on your plan; choose 1h, 2h');
    expect((await view(token)).statusCode).toBe(200);
  });
});

describe('connectSource', () => {
  it('names the exact origin of a host name, and only the scheme for an IPv6 literal (CSP cannot express one)', () => {
    expect(connectSource('https://v6.eg.example.test/')).toBe('https://v6.eg.example.test');
    expect(connectSource('http://[2001:db8::1]:8080')).toBe('http:');
  });
});

describe('GET /c/:token/status', () => {
  it('404 for unknown and for unused tokens, with nothing about them', async () => {
    const unknown = await app.inject({ url: `/c/${'z'.repeat(43)}/status` });
    const unused = await app.inject({ url: `/c/${await newClaim()}/status` });
    for (const res of [unknown, unused]) {
      expect(res.statusCode).toBe(404);
      expect(Object.keys(res.json()).sort()).toEqual(['error', 'message', 'requestId']);
    }
  });
});

describe('client address over a real socket', () => {
  async function listen(trustProxy: string[]) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const server = await createTestServer(t, { publicUrl, trustProxy });
    await server.app.listen({ host: '127.0.0.1', port });
    return { app: server.app, publicUrl };
  }

  it('ignores X-Forwarded-For from an untrusted peer and honours it from a trusted one', async () => {
    const untrusted = await listen([]);
    const trusted = await listen(['loopback']);
    try {
      const token = await newClaim();
      const xff = { 'x-forwarded-for': '192.0.2.1, 198.51.100.9' };
      const a = await fetch(`${untrusted.publicUrl}/c/${token}`, { headers: xff });
      expect(await a.text()).toContain('<code id="eg-ip">127.0.0.1</code>');
      const b = await fetch(`${trusted.publicUrl}/c/${token}`, { headers: xff });
      const page = await b.text();
      expect(page).toContain('<code id="eg-ip">198.51.100.9</code>');

      const res = await fetch(`${trusted.publicUrl}/c/${token}`, {
        method: 'POST',
        headers: { ...xff, cookie: cookieHeader(b.headers.getSetCookie()), 'content-type': 'application/x-www-form-urlencoded', origin: trusted.publicUrl },
        body: `csrf=${csrfField(page)}`,
      });
      expect(res.status).toBe(200);
      const live = (await sessionsOfAlice()).filter((s) => s.state === 'PENDING');
      expect(live.map((s) => s.ipv4)).toEqual(['198.51.100.9']);
    } finally {
      await untrusted.app.close();
      await trusted.app.close();
    }
  });
});
