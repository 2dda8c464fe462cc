import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastifyReceiver } from '../../src/chat/slack/fastify-receiver.ts';
import { teamsRoutes } from '../../src/chat/teams/routes.ts';
import { createTeamsTransport } from '../../src/chat/teams/transport/adapter.ts';
import { createRateLimiter } from '../../src/http/rate-limit.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { createTestServer } from './helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t?.close());

describe('createRateLimiter', () => {
  it('allows the budget per key per minute, then says how long to wait; a new minute starts afresh', () => {
    let now = 1_000_000;
    const take = createRateLimiter({ perMinute: 3, now: () => now });
    expect([take('a'), take('a'), take('a')].every((d) => d.allowed)).toBe(true);
    expect(take('a')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(take('b').allowed).toBe(true);
    now += 45_500;
    expect(take('a')).toEqual({ allowed: false, retryAfterSeconds: 15 });
    now += 14_500;
    expect(take('a').allowed).toBe(true);
  });

  it('tracks a bounded number of addresses, dropping the oldest window first', () => {
    const take = createRateLimiter({ perMinute: 1, maxTracked: 2, now: () => 0 });
    take('a');
    take('b');
    expect(take('a').allowed).toBe(false);
    take('c'); // 'a' is forgotten
    expect(take('a').allowed).toBe(true);
  });
});

describe('the HTTP rate limit', () => {
  it('429 with Retry-After on the API and claim pages past the budget, per client address; probes and metrics are not counted', async () => {
    const { app } = await createTestServer(t, { rateLimitPerMinute: 3 });
    const from = (remoteAddress: string, url: string) => app.inject({ url, remoteAddress });
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.1', i % 2 ? '/api/v1/me' : `/c/${'x'.repeat(43)}`)).statusCode).not.toBe(429);
    const limited = await from('198.51.100.1', '/api/v1/me');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringContaining('Try again in') });
    expect((await from('198.51.100.1', `/c/${'x'.repeat(43)}`)).statusCode).toBe(429);
    expect((await from('198.51.100.2', '/api/v1/me')).statusCode).toBe(401); // another address has its own budget
    // IPv6: one budget per /64, however many addresses of it are used.
    for (let i = 1; i <= 3; i++) expect((await from(`2001:db8:5:6::${i}`, '/api/v1/me')).statusCode).toBe(401);
    expect((await from('2001:db8:5:6::99', '/api/v1/me')).statusCode).toBe(429);
    expect((await from('2001:db8:5:7::1', '/api/v1/me')).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await from('198.51.100.1', '/healthz')).statusCode).toBe(200);
    await app.close();
  });

  it('decides on the route the request matched: percent-encoding the path does not step around it', async () => {
    const { app } = await createTestServer(t, { rateLimitPerMinute: 3 });
    const from = (url: string) => app.inject({ url, remoteAddress: '198.51.100.4' });
    for (let i = 0; i < 3; i++) expect((await from('/api/v1/me')).statusCode).toBe(401);
    // The router decodes these to /api/v1/sessions, /api/v1/me and /c/<token>: the same routes, the same budget.
    for (const url of ['/%61pi/v1/sessions', '/api/v1/%6De', '/api/%76%31/me', `/%63/${'x'.repeat(43)}`]) {
      expect((await from(url)).statusCode, url).toBe(429);
    }
    await app.close();
  });

  it('counts requests for paths that match no route, so probing for them is limited too', async () => {
    const { app } = await createTestServer(t, { rateLimitPerMinute: 2 });
    const from = (url: string) => app.inject({ url, remoteAddress: '198.51.100.5' });
    expect((await from('/nothing-here')).statusCode).toBe(404);
    expect((await from('/%2e%2e/etc/passwd')).statusCode).toBe(404);
    expect((await from('/nothing-here')).statusCode).toBe(429);
    expect((await from('/healthz')).statusCode).toBe(200);
    await app.close();
  });

  it('leaves the chat webhooks alone: every workspace and tenant calls from the platform’s shared addresses', async () => {
    const logger = t.deps.logger;
    const chatRoutes = [
      createFastifyReceiver({ signingSecret: 'test-signing-secret', logger }).routes,
      teamsRoutes({ transport: createTeamsTransport({}), bot: async () => undefined, logger }),
    ];
    const { app } = await createTestServer(t, { rateLimitPerMinute: 2, chatRoutes });
    const activity = { type: 'message', id: '1', channelId: 'msteams', serviceUrl: 'http://localhost:9/', from: { id: '29:a' }, conversation: { id: 'a:1' }, recipient: { id: '28:b' }, text: 'hi' };
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'POST', url: '/slack/events', payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/api/messages', payload: activity })).statusCode).toBe(200);
    }
    await app.close();
  });

  it('is off with 0', async () => {
    const { app } = await createTestServer(t, { rateLimitPerMinute: 0 });
    for (let i = 0; i < 20; i++) expect((await app.inject({ url: '/api/v1/me', remoteAddress: '198.51.100.3' })).statusCode).toBe(401);
    await app.close();
  });
});
