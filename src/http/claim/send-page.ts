import type { FastifyReply } from 'fastify';
import { randomToken } from '../../shared/tokens.ts';
import { pageHeaders, renderLayout } from './layout.ts';
import type { Page } from './pages.ts';

/** Sends a claim page with its security headers and a fresh CSP nonce. */
export function sendPage(reply: FastifyReply, page: Page, connectSrc: readonly string[] = []): FastifyReply {
  const nonce = randomToken(16);
  return reply
    .code(page.status)
    .headers(pageHeaders(nonce, connectSrc))
    .send(renderLayout({ title: page.title, nonce, body: page.body, config: page.config, script: page.script }));
}
