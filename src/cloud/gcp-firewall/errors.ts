import { ProviderError } from '../../engine/ports.ts';

/** What was being done when an error happened; only used to make the message actionable. */
export interface ErrorContext {
  action: 'read' | 'create' | 'update' | 'delete' | 'wait' | 'authenticate';
  project: string;
  /** Rule, network or operation name. */
  target?: string | undefined;
  credential?: string | undefined;
}

/**
 * A compute Operation that finished DONE with `error`. `wait()` does not throw for these, so
 * operations.ts raises this and the mapper below turns it into a ProviderError like any other.
 */
export class OperationFailed extends Error {
  readonly errors: { code: string; message: string }[];
  readonly httpStatus: number | undefined;

  constructor(errors: { code?: string | null; message?: string | null }[], httpStatus: number | undefined) {
    const list = errors.map((e) => ({ code: e.code ?? 'UNKNOWN', message: e.message ?? '' }));
    super(list.map((e) => `${e.code}: ${e.message}`).join('; ') || 'operation failed');
    this.name = 'OperationFailed';
    this.errors = list;
    this.httpStatus = httpStatus;
  }
}

// gRPC status codes gax 6 puts in `err.code` (it keeps the HTTP status in `httpStatusCode`).
const GRPC_HTTP: Record<number, number> = { 1: 499, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 13: 500, 14: 503, 16: 401 };
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
// gax folds socket errors into its message ("request to … failed, reason: connect ECONNREFUSED …").
const NETWORK_RE = /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up)\b/;

/**
 * The one place where Google errors (gax GoogleError, gaxios errors from the token endpoint,
 * failed operations, socket errors) become ProviderErrors. compute errors carry no ErrorInfo,
 * so the REST `reason` is not exposed: the HTTP status plus the message decide.
 */
export function toProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const where = `${ctx.target ? `"${ctx.target}" ` : ''}in project "${ctx.project}"`;
  const cred = ctx.credential ? `credential "${ctx.credential}"` : 'the application default credentials';
  const fail = (code: string, message: string, retryable: boolean) => new ProviderError(code, message, { retryable, cause: sanitize(err) });

  if (err instanceof OperationFailed) return fromOperation(err, ctx, where, fail);

  const e = (err ?? {}) as { code?: unknown; httpStatusCode?: unknown; status?: unknown; message?: unknown; cause?: unknown };
  const message = googleMessage(e.message);
  const sysCode = typeof e.code === 'string' ? e.code : (e.cause as { code?: unknown } | undefined)?.code;

  if (/invalid_grant|invalid_client|unauthorized_client|account not found/i.test(message)) {
    return fail('CREDENTIAL_REJECTED', `Google rejected ${cred} (${message}). Check that the service-account key is current and not disabled.`, false);
  }
  const netCode = typeof sysCode === 'string' && NETWORK_CODES.has(sysCode) ? sysCode : NETWORK_RE.exec(message)?.[0];
  if (netCode) return fail('NETWORK_ERROR', `Could not reach the Compute Engine API (${netCode}); will retry.`, true);
  const status =
    typeof e.httpStatusCode === 'number'
      ? e.httpStatusCode
      : typeof e.status === 'number'
        ? e.status
        : typeof e.code === 'number'
          ? (GRPC_HTTP[e.code] ?? (e.code >= 100 ? e.code : undefined))
          : undefined;

  switch (status) {
    case 400:
      if (/is not ready/i.test(message)) return notReady(where, message, fail);
      return fail('INVALID_REQUEST', `Compute Engine refused the ${ctx.action} of ${where}: ${message}`, false);
    case 401:
      return fail('UNAUTHENTICATED', `Compute Engine did not accept ${cred}: ${message}. Check the service-account key.`, false);
    case 403:
      if (/rate limit|queries per|per minute/i.test(message)) return rateLimited(message, fail);
      if (/quota .* exceeded/i.test(message)) return quota(message, fail);
      return fail(
        'PERMISSION_DENIED',
        `Permission denied to ${ctx.action} ${where}: ${message}. Grant ${cred} the permissions in src/cloud/gcp-firewall/README.md (or roles/compute.securityAdmin).`,
        false,
      );
    case 404:
      if (/\/networks\//.test(message)) return fail('NETWORK_NOT_FOUND', `${message}. Check config.network and config.project.`, false);
      if (/\/operations\//.test(message)) return fail('OPERATION_NOT_FOUND', `${message}; the change will be checked again.`, true);
      if (/\/firewalls\//.test(message)) return fail('RULE_NOT_FOUND', `${message}; it was deleted meanwhile and the change will be retried.`, true);
      return fail('NOT_FOUND', `${message}. Check config.project ("${ctx.project}") and that the Compute Engine API is enabled.`, false);
    case 409:
      return fail('CONFLICT', `Another change to ${where} happened at the same time (${message}); will retry.`, true);
    case 429:
      return rateLimited(message, fail);
    case 499:
    case 504:
      return fail('TIMEOUT', `The Compute Engine API did not answer in time (${ctx.action} ${where}); will retry.`, true);
  }
  if (status !== undefined && status >= 500) {
    return fail('UNAVAILABLE', `The Compute Engine API failed with ${status} (${message}); will retry.`, true);
  }
  if (/deadline|timed? ?out|aborted/i.test(message)) {
    return fail('TIMEOUT', `The Compute Engine API did not answer in time (${ctx.action} ${where}); will retry.`, true);
  }
  return fail('UNEXPECTED', `Unexpected error during ${ctx.action} of ${where}: ${message}`, true);
}

/** A 401 from the API itself (not from the token endpoint): the token, not the key, was refused. */
export function isUnauthenticated(err: unknown): boolean {
  const e = err as { code?: unknown; httpStatusCode?: unknown } | undefined;
  return e?.httpStatusCode === 401 || (e?.httpStatusCode === undefined && e?.code === 16);
}

type Fail = (code: string, message: string, retryable: boolean) => ProviderError;

function fromOperation(err: OperationFailed, ctx: ErrorContext, where: string, fail: Fail): ProviderError {
  const first = err.errors[0] ?? { code: 'UNKNOWN', message: err.message };
  const text = `${first.code}: ${first.message}`;
  switch (first.code) {
    case 'QUOTA_EXCEEDED':
      return quota(first.message, fail);
    case 'RESOURCE_NOT_READY':
      return notReady(where, first.message, fail);
    case 'RATE_LIMIT_EXCEEDED':
      return rateLimited(first.message, fail);
    case 'RESOURCE_ALREADY_EXISTS':
      return fail('CONFLICT', `Another change to ${where} happened at the same time (${text}); will retry.`, true);
    case 'RESOURCE_NOT_FOUND':
      return fail('NOT_FOUND', `The ${ctx.action} of ${where} failed: ${text}. Check config.network and config.project.`, false);
  }
  const status = err.httpStatus;
  const retryable = status === undefined || status >= 500 || status === 429 || /INTERNAL|UNAVAILABLE|BACKEND/i.test(first.code);
  return fail('OPERATION_FAILED', `The ${ctx.action} of ${where} failed: ${text}${retryable ? '; will retry' : ''}.`, retryable);
}

function notReady(where: string, message: string, fail: Fail): ProviderError {
  return fail('RESOURCE_NOT_READY', `${where} is still being changed by another operation (${message}); will retry.`, true);
}

function rateLimited(message: string, fail: Fail): ProviderError {
  return fail('RATE_LIMITED', `Compute Engine API rate limit reached (${message}); will retry with backoff.`, true);
}

function quota(message: string, fail: Fail): ProviderError {
  return fail('QUOTA_EXCEEDED', `${message}. Request more quota for the project or remove unused firewall rules.`, false);
}

/**
 * The cause kept for logs: name, status and message only. SDK error objects stay inside cloud/,
 * and gaxios errors carry the request config, Authorization header included.
 */
function sanitize(err: unknown): Error {
  if (err instanceof OperationFailed) return err;
  const e = (err ?? {}) as { name?: unknown; code?: unknown; httpStatusCode?: unknown; message?: unknown };
  const status = [e.code, e.httpStatusCode].filter((v) => v !== undefined).join('/');
  return new Error(`${String(e.name ?? 'Error')}${status ? ` (${status})` : ''}: ${googleMessage(e.message)}`);
}

/** gax 6 gives the clean message; older gax gave the raw JSON body. */
function googleMessage(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : String(raw ?? 'unknown error');
  if (text.startsWith('{')) {
    try {
      const body = JSON.parse(text) as { error?: { message?: string } };
      if (body.error?.message) return body.error.message;
    } catch {
      // not JSON after all: keep the text
    }
  }
  return text.split('\n')[0]!.slice(0, 500);
}
