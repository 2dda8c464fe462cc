import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { logAndMap } from '../errors.ts';
import { messagePage } from './pages.ts';
import { sendPage } from './send-page.ts';

/** Errors on the browser pages (claim, access check) become pages, not JSON: a person is looking at them. */
export function pageErrorHandler(titles: Record<string, string>, bodyLimit: number) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = logAndMap(request, err, bodyLimit);
    return sendPage(reply, messagePage(mapped.status, titles[mapped.code] ?? 'Something went wrong', mapped.message));
  };
}
