import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { serializeError } from './serialize-error.ts';

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'connectionString',
  '*.connectionString',
  'databaseUrl',
  '*.databaseUrl',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** One readable line per event (a terminal) instead of JSON (a log collector). main/ decides. */
  pretty?: boolean;
  /** Colours in pretty output; on when pretty goes to a terminal. */
  colorize?: boolean;
  /** Where lines go; stdout unless given (tests capture them). */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    name: opts.name ?? 'entryguard',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors as their message, code and stack: never a database client's connection object.
    serializers: { err: serializeError, error: serializeError },
  };
  if (opts.pretty) {
    // Synchronous, in this thread: lines keep their order with what the CLI prints, and none is
    // lost when the process exits.
    const pretty = PinoPretty({
      colorize: opts.colorize ?? false,
      singleLine: true,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      ...(opts.destination ? { destination: opts.destination } : {}),
    });
    return pino(options, pretty);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Removes credentials from a connection URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
