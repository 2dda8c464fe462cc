import type { FastifyRequest } from 'fastify';
import { randomToken, safeEqual } from '../../shared/tokens.ts';

/**
 * Double-submit CSRF protection for the claim form: the GET sets a random value in an HttpOnly,
 * SameSite=Strict cookie and the same value in a hidden field; the POST must bring both, equal.
 * A crawler that fetches the link has neither the page's field nor a browser's cookie jar.
 */
export const CSRF_COOKIE = 'eg_csrf';
export const CSRF_FIELD = 'csrf';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The value for this page view: the browser's current one when it has a well-formed one (two
 * claim tabs open at once keep working), else a new one.
 */
export function csrfValue(request: FastifyRequest): string {
  const existing = readCookie(request.headers.cookie, CSRF_COOKIE);
  return existing && TOKEN_SHAPE.test(existing) ? existing : randomToken();
}

/** Set on every page view, so the cookie lives as long as the link it protects can. `path`: the pages it guards (claim /c/, access check /k/). */
export function csrfSetCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number; path?: '/c/' | '/k/' }): string {
  return `${CSRF_COOKIE}=${value}; Path=${opts.path ?? '/c/'}; Max-Age=${opts.maxAgeSeconds}; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
}

export type CsrfVerdict = 'ok' | 'missing' | 'mismatch' | 'cross-origin';

/**
 * Checks the POST: cookie and field equal (constant time); Origin, when the browser sends a
 * real one, equal to PUBLIC_URL's; Sec-Fetch-Site, when sent, same-origin. `Origin: null` is
 * what browsers send for a form POST from a page with `Referrer-Policy: no-referrer` (ours), so
 * it is not a mismatch by itself; the cookie and Sec-Fetch-Site still decide.
 */
export function checkCsrf(request: FastifyRequest, field: string | undefined, publicOrigin: string): CsrfVerdict {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== publicOrigin) return 'cross-origin';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'cross-origin';
  const cookie = readCookie(request.headers.cookie, CSRF_COOKIE);
  if (!cookie || !field) return 'missing';
  return safeEqual(cookie, field) ? 'ok' : 'mismatch';
}
