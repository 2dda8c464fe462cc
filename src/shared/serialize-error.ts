/** What a log line keeps of an error. */
export interface SerializedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  /** Postgres' own fields that say what went wrong (never the query's parameters). */
  detail?: string;
  hint?: string;
  /** For a network error: where it was going. */
  address?: string;
  port?: number;
  cause?: SerializedError;
  errors?: SerializedError[];
}

const MAX_DEPTH = 3;

/**
 * An error as a log line should show it: type, message, code, stack, a few known fields, its cause
 * and (AggregateError) its errors. pino's default copies every enumerable property, and a
 * postgres.js error then drags in its connection and query objects (options, parameters,
 * sockets): hundreds of lines and possibly values that do not belong in logs.
 */
export function serializeError(err: unknown, depth = 0): SerializedError | unknown {
  if (!(err instanceof Error)) {
    return err !== null && typeof err === 'object' ? { type: 'object', message: String((err as { message?: unknown }).message ?? '[non-error object]') } : err;
  }
  const e = err as Error & { code?: unknown; detail?: unknown; hint?: unknown; address?: unknown; port?: unknown };
  const out: SerializedError = { type: err.name || err.constructor?.name || 'Error', message: err.message };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = String(e.code);
  if (err.stack) out.stack = err.stack;
  if (typeof e.detail === 'string') out.detail = e.detail;
  if (typeof e.hint === 'string') out.hint = e.hint;
  if (typeof e.address === 'string') out.address = e.address;
  if (typeof e.port === 'number') out.port = e.port;
  if (depth < MAX_DEPTH) {
    if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1) as SerializedError;
    if (err instanceof AggregateError) out.errors = err.errors.slice(0, 10).map((x) => serializeError(x, depth + 1) as SerializedError);
  }
  return out;
}
