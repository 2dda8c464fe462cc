import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors.ts';
import { clientNetwork } from '../shared/ip.ts';

const WINDOW_MS = 60_000;
/** Past this many addresses, the oldest windows are dropped first (a flood of spoofed sources cannot grow memory). */
const MAX_TRACKED = 50_000;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A fixed one-minute request budget per key, in this process's memory: each replica counts its
 * own. Fixed windows let a client send up to twice the budget across a window boundary, which is
 * fine for what this is for: keeping one address from flooding the database.
 */
export function createRateLimiter(opts: { perMinute: number; now?: () => number; maxTracked?: number }): (key: string) => RateDecision {
  const now = opts.now ?? Date.now;
  const maxTracked = opts.maxTracked ?? MAX_TRACKED;
  const windows = new Map<string, { count: number; resetAt: number }>();
  return (key) => {
    const t = now();
    let w = windows.get(key);
    if (!w || w.resetAt <= t) {
      windows.delete(key);
      w = { count: 0, resetAt: t + WINDOW_MS };
      windows.set(key, w); // re-inserted: Map order is then oldest window first
      if (windows.size > maxTracked) windows.delete(windows.keys().next().value!);
    }
    w.count++;
    if (w.count <= opts.perMinute) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - t) / 1000)) };
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `false` on a route that is not counted per client address: chat webhooks (signed, and sent
     * from Slack's and Microsoft's shared addresses, so one budget would be every customer's) and
     * the probes. Everything else, including paths that match no route, is counted.
     */
    rateLimit?: false;
  }
}

/**
 * A request budget per client address (the TRUST_PROXY-resolved one, so a proxy's address is
 * not everyone's; an IPv6 client by its /64, which it could otherwise walk through). Decided on
 * the route the router matched — never on the URL text, which percent-encoding can spell in
 * many ways (/%61pi/v1/… is /api/v1/…) — and counting unmatched paths too, so a route is
 * limited unless it says otherwise (`config: { rateLimit: false }`). The default budget is
 * generous because a whole office behind one NAT shares an address.
 */
export function installRateLimit(app: FastifyInstance, opts: { perMinute: number; now?: () => number }): void {
  if (opts.perMinute <= 0) return;
  const take = createRateLimiter(opts);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimit === false) return;
    const decision = take(request.clientIp ? clientNetwork(request.clientIp) : 'unknown');
    if (decision.allowed) return;
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new AppError('RATE_LIMITED', `Too many requests from your address. Try again in ${decision.retryAfterSeconds} s.`);
  });
}
