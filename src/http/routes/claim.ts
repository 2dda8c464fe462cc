import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { confirmClaim, previewClaim } from '../../engine/claims.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { isAppError } from '../../shared/errors.ts';
import { ipVersion } from '../../shared/ip.ts';
import { checkCsrf, csrfSetCookie, csrfValue } from '../claim/csrf.ts';
import { messagePage, previewPage, startedPage, usedLinkPage } from '../claim/pages.ts';
import { pageErrorHandler } from '../claim/page-errors.ts';
import { sendPage } from '../claim/send-page.ts';
import { logAndMap } from '../errors.ts';
import { CLAIM_TOKEN, claimApiRoutes } from './claim-api.ts';

export interface ClaimRouteOptions {
  engine: EngineDeps;
  publicUrl: string;
  publicUrlV4?: string | undefined;
  publicUrlV6?: string | undefined;
  /** How long claim links live; the CSRF cookie lives as long. */
  claimTtlSeconds: number;
  bodyLimit: number;
}

const ConfirmForm = z.object({ csrf: z.string().max(200) });

const TITLES: Record<string, string> = {
  CLAIM_INVALID: 'Link not valid',
  CLAIM_USED: 'Link already used',
  CLAIM_EXPIRED: 'Link expired',
  CLAIM_CLOSED: 'Link closed',
};

/**
 * The claim pages (docs/architecture.md §4). GET only shows what Confirm will do — link-preview crawlers
 * fetch links, so it must change nothing. POST, protected against CSRF, records the address of
 * that very request and starts the session; the page then follows the session live.
 */
export async function claimRoutes(app: FastifyInstance, opts: ClaimRouteOptions): Promise<void> {
  // Registered inside this plugin only: the JSON API must not accept form bodies.
  await app.register(formbody, { bodyLimit: opts.bodyLimit });
  const { engine } = opts;
  const publicOrigin = new URL(opts.publicUrl).origin;
  const secure = publicOrigin.startsWith('https:');

  const errorHandler = pageErrorHandler(TITLES, opts.bodyLimit);

  app.get<{ Params: { token: string } }>('/c/:token', { errorHandler }, async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) return sendPage(reply, invalidLink());
    const preview = await previewClaim(engine, token).catch((err: unknown) => {
      if (isAppError(err) && err.code === 'CLAIM_INVALID') return undefined;
      throw err;
    });
    if (!preview) return sendPage(reply, invalidLink());
    if (preview.status === 'used') return sendPage(reply, usedLinkPage({ statusUrl: `/c/${token}/status` }));
    if (preview.status === 'closed') return sendPage(reply, messagePage(410, TITLES.CLAIM_CLOSED!, 'This session has ended and its page is closed. Start again from chat for a new one.'));
    if (preview.status === 'expired') return sendPage(reply, messagePage(410, TITLES.CLAIM_EXPIRED!, 'This link has expired. Start again from chat for a new one.'));
    const csrf = csrfValue(request);
    void reply.header('set-cookie', csrfSetCookie(csrf, { secure, maxAgeSeconds: Math.max(60, opts.claimTtlSeconds) }));
    return sendPage(reply, previewPage({ ...preview, ip: request.clientIp, csrf, action: `/c/${token}` }));
  });

  app.post<{ Params: { token: string } }>('/c/:token', { errorHandler }, async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) return sendPage(reply, invalidLink());
    const form = ConfirmForm.safeParse(request.body ?? {});
    const verdict = checkCsrf(request, form.success ? form.data.csrf : undefined, publicOrigin);
    if (verdict !== 'ok') {
      request.log.info({ verdict, route: request.routeOptions.url }, 'claim confirmation refused: CSRF check failed');
      return sendPage(
        reply,
        messagePage(403, 'Please confirm again', 'This confirmation could not be verified. Open the link from chat again, in this browser, and press Confirm.'),
      );
    }
    const ip = request.clientIp;
    if (!ip) return sendPage(reply, messagePage(400, 'Address unknown', 'EntryGuard could not tell your IP address from this connection.'));
    let confirmed: { sessionId: string; familyToken: string };
    try {
      confirmed = await confirmClaim(engine, { token, ip });
    } catch (err) {
      // Refusals (used, expired, limits …) change nothing and say why, in the engine's words.
      if (!isAppError(err)) throw err;
      logAndMap(request, err, opts.bodyLimit);
      // Typically a reload of the page Confirm returned (the browser posts the form again).
      if (err.code === 'CLAIM_USED') return sendPage(reply, usedLinkPage({ statusUrl: `/c/${token}/status` }));
      return sendPage(reply, messagePage(err.httpStatus, TITLES[err.code] ?? 'Could not start the session', err.userMessage));
    }
    const preview = await previewClaim(engine, token);
    // An address waiting for the requester's OK in chat gets no second family until it is open.
    const otherBase = preview.confirmInChat ? undefined : ipVersion(ip) === 4 ? opts.publicUrlV6 : opts.publicUrlV4;
    const otherFamily = otherBase ? { url: new URL(`/c/${token}/address`, otherBase).toString(), familyToken: confirmed.familyToken } : undefined;
    return sendPage(
      reply,
      startedPage({ userEmail: preview.userEmail, durationMinutes: preview.durationMinutes, ip, statusUrl: `/c/${token}/status`, otherFamily, confirmInChat: preview.confirmInChat }),
      otherBase ? [connectSource(otherBase)] : [],
    );
  });

  claimApiRoutes(app, { engine, publicOrigin });
}

/**
 * The CSP source for the other-family host. CSP host sources cannot express IPv6 literals
 * (`http://[2001:db8::1]` is ignored as invalid), so for a literal only the scheme can be named.
 */
export function connectSource(base: string): string {
  const url = new URL(base);
  return url.hostname.startsWith('[') ? url.protocol : url.origin;
}

function invalidLink() {
  return messagePage(404, TITLES.CLAIM_INVALID!, 'This link is not valid. Start again from chat.');
}
