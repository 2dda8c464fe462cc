/**
 * The one place where AWS SDK errors (EC2, STS, credential providers, the HTTP handler) become
 * ProviderErrors. Retryable: throttling, 5xx, timeouts, network errors and concurrency conflicts;
 * permanent: authentication, permissions, missing targets, quotas and invalid requests.
 */
import { ProviderError } from '../../engine/ports.ts';

/** Where the error happened, so the message says what to fix. */
export interface AwsErrorContext {
  /** e.g. `security group sg-0abc in eu-west-1`. */
  target: string;
  /** The EC2 action, e.g. `AuthorizeSecurityGroupIngress`. */
  action?: string | undefined;
  /** The EntryGuard credential name, when the resource names one. */
  credential?: string | undefined;
}

interface AwsLikeError {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
}

/** What a ProviderError keeps of the SDK error (its `cause`): plain data for logs, no SDK type. */
export interface AwsErrorDetail {
  awsCode: string;
  httpStatus?: number | undefined;
  requestId?: string | undefined;
  attempts?: number | undefined;
}

const THROTTLING = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled',
  'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'EC2ThrottledException',
  'BandwidthLimitExceeded', 'PriorRequestNotComplete',
]);
const CONFLICT = new Set(['PrefixListVersionMismatch', 'IncorrectState', 'ConcurrentTagAccess', 'ConcurrentModification']);
const UNAVAILABLE = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'ServerInternal']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const NETWORK = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'NetworkingError', 'ERR_HTTP2_STREAM_ERROR',
]);
const AUTH = new Set([
  'AuthFailure', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'ExpiredToken',
  'InvalidAccessKeyId', 'IncompleteSignature', 'MissingAuthenticationToken', 'CredentialsProviderError',
]);
const FORBIDDEN = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException', 'OptInRequired', 'Blocked']);
const QUOTA = new Set([
  'RulesPerSecurityGroupLimitExceeded', 'PrefixListMaxEntriesExceeded', 'SecurityGroupLimitExceeded', 'TagLimitExceeded',
  'ResourceLimitExceeded', 'MaxConfigLimitExceeded',
]);
const INVALID = new Set([
  'InvalidParameterValue', 'InvalidParameter', 'InvalidParameterCombination', 'MissingParameter', 'ValidationError',
  'InvalidPermission.Malformed', 'InvalidPrefixListModification', 'InvalidInput', 'UnknownParameter', 'InvalidAction',
  'UnsupportedOperation',
]);

/** The AWS error code (`InvalidGroup.NotFound` …) or Node error code (`ECONNRESET` …), if any. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as AwsLikeError;
  for (const v of [e.Code, e.code, e.name]) if (typeof v === 'string' && v && v !== 'Error') return v;
  return undefined;
}

export function hasAwsCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

export function awsErrorDetail(err: unknown): AwsErrorDetail {
  const meta = (typeof err === 'object' && err !== null ? (err as AwsLikeError).$metadata : undefined) ?? {};
  return {
    awsCode: awsErrorCode(err) ?? 'Unknown',
    httpStatus: typeof meta.httpStatusCode === 'number' ? meta.httpStatusCode : undefined,
    requestId: typeof meta.requestId === 'string' ? meta.requestId : undefined,
    attempts: typeof meta.attempts === 'number' ? meta.attempts : undefined,
  };
}

export function toProviderError(err: unknown, ctx: AwsErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsLikeError;
  const code = awsErrorCode(err) ?? 'Unknown';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const detail = typeof e.message === 'string' ? e.message.slice(0, 300) : String(err).slice(0, 300);
  const on = ctx.action ? `${ctx.action} on ${ctx.target}` : ctx.target;
  const cred = ctx.credential ? `credential "${ctx.credential}"` : 'the AWS credentials';
  const cause = awsErrorDetail(err);
  const make = (c: string, message: string, retryable: boolean) =>
    new ProviderError(c, `${message} [AWS ${code}${status ? ` ${status}` : ''}: ${detail}]`, { retryable, cause });

  if (THROTTLING.has(code)) return make('THROTTLED', `AWS throttled ${on}; it will be retried`, true);
  if (CONFLICT.has(code)) return make('CONFLICT', `${on} changed concurrently; it will be retried`, true);
  if (TIMEOUT.has(code)) return make('TIMEOUT', `AWS did not answer ${on} in time; it will be retried`, true);
  if (NETWORK.has(code)) return make('NETWORK_ERROR', `could not reach AWS for ${on}; it will be retried`, true);
  if (code === 'RequestExpired') return make('CLOCK_SKEW', `AWS saw a stale request for ${on} (check the host clock); it will be retried`, true);
  if (AUTH.has(code))
    return make('AUTH_FAILED', `AWS rejected ${cred} for ${on}: check the access key, secret and session token (or the role to assume)`, false);
  if (FORBIDDEN.has(code))
    return make('FORBIDDEN', `${cred} may not perform ${on}: grant the IAM permissions listed in the provider README`, false);
  if (INVALID.has(code)) return make('INVALID_REQUEST', `AWS refused the request ${on} as invalid`, false);
  if (code.endsWith('.NotFound') || code.endsWith('.Malformed'))
    return make('NOT_FOUND', `${ctx.target} was not found: check the identifier, region and account`, false);
  if (QUOTA.has(code) || code.endsWith('LimitExceeded'))
    return make('QUOTA_EXCEEDED', `an AWS quota was reached for ${ctx.target}`, false);
  if (code === 'InvalidPermission.Duplicate') return make('DUPLICATE', `the rule already exists on ${ctx.target}`, false);
  if (UNAVAILABLE.has(code) || e.$fault === 'server' || (status !== undefined && status >= 500))
    return make('PROVIDER_UNAVAILABLE', `AWS failed to process ${on}; it will be retried`, true);
  if (e.$fault === 'client' || (status !== undefined && status >= 400))
    return make('PROVIDER_REJECTED', `AWS refused ${on}`, false);
  // Not an answer from AWS (a proxy page, a parse error, a dropped stream): try again rather than fail a session.
  return make('PROVIDER_ERROR', `unexpected error during ${on}; it will be retried`, true);
}
