import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { formatMinutes } from '../shared/duration.ts';
import { AppError, isAppError } from '../shared/errors.ts';

/** Every error response of the JSON API: a stable code, a message safe to show, the request id. */
export interface ErrorBody {
  error: string;
  message: string;
  requestId: string;
  details?: Record<string, unknown>;
}

/**
 * Engine errors carry details meant for the audit log; only these keys are also useful and safe
 * for the caller (what may be picked, which limit, which state, which field, which scope, which
 * sessions an id prefix matched — only ones the caller may see).
 */
const PUBLIC_DETAILS = ['fields', 'offeredMinutes', 'offeredDurations', 'limit', 'state', 'requiredScope', 'matchingIds', 'retryAfterSeconds'] as const;

export interface MappedError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** Unexpected: log the whole error, show nothing of it. */
  internal: boolean;
}

/** Fastify's own request errors (body parsing, limits), as a client should see them. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: (limit: number, contentType: string | undefined) => string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: (l) => `The request body is larger than the ${Math.round(l / 1024)} KiB allowed.` },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: () => 'The request body is not valid JSON.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: (_l, type) => unsupportedTypeMessage(type) },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: () => 'The Content-Length header does not match the body.' },
};

/** What the client sent and what to send instead; only a well-formed media type is echoed back. */
function unsupportedTypeMessage(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  const sent = !type ? 'without a Content-Type' : /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(type) ? `as "${type}"` : 'with an unsupported Content-Type';
  return `The request body was sent ${sent}; send it as JSON with "Content-Type: application/json".`;
}

/** `contentType`: the request's header, to name it in a 415. */
export function mapError(err: unknown, bodyLimit: number, contentType?: string): MappedError {
  if (isAppError(err)) {
    const details = pickPublicDetails(err.details);
    return { status: err.httpStatus, code: err.code, message: err.userMessage, ...(details ? { details } : {}), internal: err.httpStatus >= 500 };
  }
  const fe = err as Partial<FastifyError> | undefined;
  const known = fe?.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return { status: known.status, code: known.code, message: known.message(bodyLimit, contentType), internal: false };
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: 'BAD_REQUEST', message: 'The request could not be read.', internal: false };
  }
  return { status: 500, code: 'INTERNAL', message: 'Something went wrong on our side. Quote the request id if you report it.', internal: true };
}

function pickPublicDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const picked: Record<string, unknown> = Object.fromEntries(PUBLIC_DETAILS.filter((k) => details[k] !== undefined).map((k) => [k, details[k]]));
  const offered = details.offeredMinutes;
  if (Array.isArray(offered) && offered.every((m) => typeof m === 'number')) picked.offeredDurations = offered.map(formatMinutes);
  return Object.keys(picked).length ? picked : undefined;
}

/** zod issues → one VALIDATION_FAILED error with a message per field (`fields`). */
export function validationError(issues: readonly z.core.$ZodIssue[], where: 'body' | 'query'): AppError {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[joinPath([...issue.path, key])] ??= 'Unknown field.';
      continue;
    }
    fields[joinPath(issue.path) || `(${where})`] ??= issue.message;
  }
  const summary = Object.entries(fields)
    .map(([field, msg]) => `${field}: ${msg}`)
    .join('; ');
  return new AppError('VALIDATION_FAILED', `Invalid ${where === 'body' ? 'request body' : 'query string'}: ${summary}`, { details: { fields } });
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * JSON errors for the whole server. Refusals are the caller's business and are not logged as
 * errors; anything unexpected is logged in full and answered with a generic message. A request
 * the router did not match is 405 with `Allow` when its path is known (`allowedMethods`), 404
 * otherwise; OPTIONS on a known path without its own route answers with `Allow` alone.
 */
export function installErrorHandlers(app: FastifyInstance, bodyLimit: number, allowedMethods: (url: string) => string[]): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(request.url);
    if (allowed.length === 0) {
      return reply.code(404).send({ error: 'NOT_FOUND', message: 'There is nothing at this address.', requestId: request.id } satisfies ErrorBody);
    }
    const allow = request.method === 'OPTIONS' ? [...allowed, 'OPTIONS'].sort() : allowed;
    void reply.header('allow', allow.join(', '));
    if (request.method === 'OPTIONS') return reply.code(204).send();
    const message = `${request.method} is not allowed here; use ${allowed.join(', ').replace(/, (\w+)$/, ' or $1')}.`;
    return sendError(request, reply, new AppError('METHOD_NOT_ALLOWED', message), bodyLimit);
  });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, bodyLimit: number): FastifyReply {
  const mapped = logAndMap(request, err, bodyLimit);
  if (mapped.code === 'UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer realm="entryguard"');
  // A 429 always says when to come back: the per-user throttle (THROTTLED) as the rate limit does.
  const retryAfter = mapped.details?.retryAfterSeconds;
  if (mapped.status === 429 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  const body: ErrorBody = { error: mapped.code, message: mapped.message, requestId: request.id, ...(mapped.details ? { details: mapped.details } : {}) };
  return reply.code(mapped.status).header('cache-control', 'no-store').send(body);
}

export function logAndMap(request: FastifyRequest, err: unknown, bodyLimit: number): MappedError {
  // A route may set its own cap (the chat webhooks do): the 413 names the one that applied.
  const mapped = mapError(err, request.routeOptions.bodyLimit ?? bodyLimit, request.headers['content-type']);
  const route = request.routeOptions.url ?? 'unmatched';
  if (mapped.internal) request.log.error({ err, route }, 'request failed');
  else request.log.debug({ code: mapped.code, route }, 'request refused');
  return mapped;
}
