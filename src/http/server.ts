import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { SyncDeps } from '../engine/deps.ts';
import type { Logger } from '../shared/logger.ts';
import { createTrustCheck, resolveClientIp, wideTrustRanges } from './client-ip.ts';
import { trackAllowedMethods } from './allowed-methods.ts';
import { installErrorHandlers } from './errors.ts';
import type { Metrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';
import { installRateLimit } from './rate-limit.ts';
import { installRequestLog } from './request-log.ts';
import { apiRoutes } from './routes/api.ts';
import { checkPageRoutes } from './routes/check.ts';
import { claimRoutes } from './routes/claim.ts';
import { healthRoutes } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's address by the TRUST_PROXY rule (client-ip.ts); undefined when it cannot be told. */
    clientIp: string | undefined;
  }
}

export interface HttpDeps {
  engine: SyncDeps;
  logger: Logger;
  /** Where users reach this server (claim links, CORS and Origin checks, Secure cookies). */
  publicUrl: string;
  /** Single-stack host names, so the claim page can learn the user's other address family. */
  publicUrlV4?: string | undefined;
  publicUrlV6?: string | undefined;
  /** Proxies whose X-Forwarded-For is believed: IPs, CIDRs or 'loopback'. */
  trustProxy: string[];
  claimTtlSeconds: number;
  readiness: () => Promise<Readiness>;
  /** Shown on the home page (package.json's). */
  version?: string | undefined;
  metrics: Metrics;
  /** Requests per minute per client address on every route but the chat webhooks and probes; 0 or unset = no limit. */
  rateLimitPerMinute?: number;
  /** Bearer token for /metrics; unset = loopback callers only. */
  metricsToken?: string | undefined;
  /** Chat platforms' inbound endpoints (Slack's /slack/events …), built in main/ when configured.
   *  Each is its own encapsulated plugin: it may parse bodies its own way (raw bytes for signatures). */
  chatRoutes?: FastifyPluginAsync[];
}

/** Nothing we accept is bigger: a session request is a few dozen bytes. */
export const BODY_LIMIT = 16 * 1024;

/**
 * The one HTTP server: REST API (/api/v1), claim pages (/c/:token), probes and metrics.
 * Not listening yet: the caller decides where (`app.listen`) and when to close.
 */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const isTrusted = createTrustCheck(deps.trustProxy);
  const wide = wideTrustRanges(deps.trustProxy);
  if (wide.length) {
    deps.logger.warn(
      { ranges: wide },
      'TRUST_PROXY trusts ranges wider than /16 (IPv4) or /48 (IPv6): any machine in them can set X-Forwarded-For and choose the address a session opens; list only your proxies',
    );
  }
  checkUrls({ PUBLIC_URL: deps.publicUrl, PUBLIC_URL_V4: deps.publicUrlV4, PUBLIC_URL_V6: deps.publicUrlV6 });

  const app = Fastify({
    // Typed as fastify's base logger so the instance is a plain FastifyInstance for the route modules.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // We log one line per request ourselves (request-log.ts), with the route pattern instead
    // of the URL: fastify's own lines would print claim tokens.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // The client address comes from client-ip.ts only, never from fastify's own proxy rules.
    trustProxy: false,
    requestTimeout: 30_000,
    return503OnClosing: true,
  });

  app.decorateRequest('clientIp', undefined);
  app.addHook('onRequest', async (request, reply) => {
    request.clientIp = resolveClientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], isTrusted);
    void reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  });
  installJsonParser(app);
  installErrorHandlers(app, BODY_LIMIT, trackAllowedMethods(app));
  installRequestLog(app, deps.metrics);
  installRateLimit(app, { perMinute: deps.rateLimitPerMinute ?? 0 });

  await app.register(homeRoutes, { readiness: deps.readiness, version: deps.version ?? 'unknown' });
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics, metricsToken: deps.metricsToken });
  await app.register(apiRoutes, { prefix: '/api/v1', engine: deps.engine, publicUrl: deps.publicUrl });
  await app.register(claimRoutes, {
    engine: deps.engine,
    publicUrl: deps.publicUrl,
    publicUrlV4: deps.publicUrlV4,
    publicUrlV6: deps.publicUrlV6,
    claimTtlSeconds: deps.claimTtlSeconds,
    bodyLimit: BODY_LIMIT,
  });
  await app.register(checkPageRoutes, { engine: deps.engine, publicUrl: deps.publicUrl, ttlSeconds: deps.claimTtlSeconds, bodyLimit: BODY_LIMIT });
  for (const routes of deps.chatRoutes ?? []) await app.register(routes);
  return app;
}

/** Bad URLs fail at start with their name, not on the first claim. */
function checkUrls(urls: Record<string, string | undefined>): void {
  for (const [name, url] of Object.entries(urls)) {
    if (url === undefined) continue;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new Error(`${name} is not an http(s) URL: ${url}`);
  }
}

/**
 * fastify's JSON parser (prototype-poisoning checks included), except that an empty body means
 * "no body": clients commonly POST to /stop with a JSON content type and nothing else. JSON is
 * the only body type read here: fastify's default text/plain parser would hand the routes a
 * string (a JSON body mislabelled as text/plain then failed validation as "expected object");
 * without it such a body is a 415 saying what to send. Plugins add their own parsers (claim
 * forms, the chat webhooks' raw bytes).
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parse(request, text, done);
  });
}
