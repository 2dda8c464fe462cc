import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actOnCheckLink, previewCheckLink, runCheckLink } from '../../engine/check-links.ts';
import type { SyncDeps } from '../../engine/deps.ts';
import { isAppError } from '../../shared/errors.ts';
import { checkCsrf, csrfSetCookie, csrfValue } from '../claim/csrf.ts';
import { messagePage } from '../claim/pages.ts';
import { pageErrorHandler } from '../claim/page-errors.ts';
import { sendPage } from '../claim/send-page.ts';
import { addressChangedPage, checkPreviewPage, checkResultPage } from '../check/pages.ts';
import { logAndMap } from '../errors.ts';
import { CLAIM_TOKEN } from './claim-api.ts';

export interface CheckRouteOptions {
  engine: SyncDeps;
  publicUrl: string;
  /** How long check links live (as claim links); the CSRF cookie lives as long. */
  ttlSeconds: number;
  bodyLimit: number;
}

const RunForm = z.object({ csrf: z.string().max(200) });
const ActForm = z.object({ csrf: z.string().max(200), actionToken: z.string().min(1).max(200), mode: z.enum(['move', 'add']) });

const TITLES: Record<string, string> = {
  CHECK_INVALID: 'Link not valid',
  CHECK_USED: 'Link already used',
  CHECK_EXPIRED: 'Link expired',
};

/**
 * The access check pages ("why can't I connect?"), reached from a single-use link sent in chat.
 * As with the claim pages: GET only shows; each POST is CSRF-checked and acts on the address of
 * that very request.
 */
export async function checkPageRoutes(app: FastifyInstance, opts: CheckRouteOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: opts.bodyLimit });
  const { engine } = opts;
  const publicOrigin = new URL(opts.publicUrl).origin;
  const secure = publicOrigin.startsWith('https:');

  const errorHandler = pageErrorHandler(TITLES, opts.bodyLimit);
  const refusal = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (!isAppError(err)) throw err;
    logAndMap(request, err, opts.bodyLimit);
    return sendPage(reply, messagePage(err.httpStatus, TITLES[err.code] ?? 'Not done', err.userMessage));
  };
  const csrfRefused = (request: FastifyRequest, reply: FastifyReply, verdict: string) => {
    request.log.info({ verdict, route: request.routeOptions.url }, 'access check refused: CSRF check failed');
    return sendPage(reply, messagePage(403, 'Please try again', 'This request could not be verified. Open the link from chat again, in this browser.'));
  };
  const invalid = () => messagePage(404, TITLES.CHECK_INVALID!, 'This link is not valid. Run check again from chat.');

  app.get<{ Params: { token: string } }>('/k/:token', { errorHandler }, async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) return sendPage(reply, invalid());
    const preview = await previewCheckLink(engine, token).catch((err: unknown) => {
      if (isAppError(err) && err.code === 'CHECK_INVALID') return undefined;
      throw err;
    });
    if (!preview) return sendPage(reply, invalid());
    if (preview.status === 'used') return sendPage(reply, messagePage(410, TITLES.CHECK_USED!, 'This link was already used. Run check again from chat for a new one.'));
    if (preview.status === 'expired') return sendPage(reply, messagePage(410, TITLES.CHECK_EXPIRED!, 'This link has expired. Run check again from chat for a new one.'));
    const csrf = csrfValue(request);
    void reply.header('set-cookie', csrfSetCookie(csrf, { secure, maxAgeSeconds: Math.max(60, opts.ttlSeconds) + 600, path: '/k/' }));
    return sendPage(reply, checkPreviewPage({ userEmail: preview.userEmail, csrf, action: `/k/${token}`, ip: request.clientIp }));
  });

  app.post<{ Params: { token: string } }>('/k/:token', { errorHandler }, async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) return sendPage(reply, invalid());
    const form = RunForm.safeParse(request.body ?? {});
    const verdict = checkCsrf(request, form.success ? form.data.csrf : undefined, publicOrigin);
    if (verdict !== 'ok') return csrfRefused(request, reply, verdict);
    const ip = request.clientIp;
    if (!ip) return sendPage(reply, messagePage(400, 'Address unknown', 'EntryGuard could not tell your IP address from this connection.'));
    try {
      const { check, actionToken } = await runCheckLink(engine, { token, ip });
      return sendPage(reply, checkResultPage({ check, csrf: form.data!.csrf, action: `/k/${token}/address`, actionToken }));
    } catch (err) {
      return refusal(request, reply, err);
    }
  });

  app.post<{ Params: { token: string } }>('/k/:token/address', { errorHandler }, async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) return sendPage(reply, invalid());
    const form = ActForm.safeParse(request.body ?? {});
    const verdict = checkCsrf(request, form.success ? form.data.csrf : undefined, publicOrigin);
    if (verdict !== 'ok' || !form.success) return csrfRefused(request, reply, verdict);
    const ip = request.clientIp;
    if (!ip) return sendPage(reply, messagePage(400, 'Address unknown', 'EntryGuard could not tell your IP address from this connection.'));
    try {
      const result = await actOnCheckLink(engine, { token, actionToken: form.data.actionToken, ip, mode: form.data.mode });
      return sendPage(reply, addressChangedPage(result, form.data.mode));
    } catch (err) {
      return refusal(request, reply, err);
    }
  });
}
