/**
 * One error type for everything the product refuses or fails at on purpose.
 * `message` is for logs; `userMessage` is safe to show in chat and HTTP responses.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'SESSION_NOT_FOUND'
  | 'API_KEY_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'USER_DISABLED'
  | 'ORG_NOT_FOUND'
  | 'DURATION_NOT_ALLOWED'
  | 'REASON_REQUIRED'
  | 'CONCURRENCY_LIMIT'
  | 'NO_RESOURCES'
  | 'RESOURCE_LIMIT'
  | 'INVALID_STATE'
  | 'EXTENSION_AT_CAP'
  | 'AMBIGUOUS_SESSION_ID'
  | 'NOT_ENTITLED'
  | 'NOT_REQUESTER'
  | 'THROTTLED'
  | 'NOT_AN_APPROVER'
  | 'SELF_APPROVAL'
  | 'CLAIM_INVALID'
  | 'CLAIM_EXPIRED'
  | 'CLAIM_USED'
  | 'CLAIM_CLOSED'
  | 'CSRF_FAILED'
  | 'NO_IP_ADDRESS'
  | 'CONFIG_INVALID'
  | 'RESOURCE_IN_USE'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'ALREADY_HELD'
  | 'TOO_MANY_ADDRESSES'
  | 'APPROVAL_REQUIRED'
  | 'CHECK_INVALID'
  | 'CHECK_USED'
  | 'CHECK_EXPIRED'
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SESSION_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  USER_DISABLED: 403,
  ORG_NOT_FOUND: 404,
  DURATION_NOT_ALLOWED: 400,
  REASON_REQUIRED: 400,
  CONCURRENCY_LIMIT: 409,
  NO_RESOURCES: 400,
  RESOURCE_LIMIT: 400,
  INVALID_STATE: 409,
  EXTENSION_AT_CAP: 409,
  AMBIGUOUS_SESSION_ID: 409,
  NOT_ENTITLED: 403,
  NOT_REQUESTER: 403,
  THROTTLED: 429,
  NOT_AN_APPROVER: 403,
  SELF_APPROVAL: 403,
  CLAIM_INVALID: 404,
  CLAIM_EXPIRED: 410,
  CLAIM_USED: 410,
  CLAIM_CLOSED: 410,
  CSRF_FAILED: 403,
  NO_IP_ADDRESS: 400,
  CONFIG_INVALID: 400,
  RESOURCE_IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  ALREADY_HELD: 409,
  TOO_MANY_ADDRESSES: 409,
  APPROVAL_REQUIRED: 403,
  CHECK_INVALID: 404,
  CHECK_USED: 410,
  CHECK_EXPIRED: 410,
  INTERNAL: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    userMessage: string,
    opts: { message?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(opts.message ?? userMessage, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.userMessage = userMessage;
    this.details = opts.details;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
