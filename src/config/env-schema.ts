import { isIP } from 'node:net';
import { z } from 'zod';
import { EndpointUrl } from '../shared/endpoint-url.ts';
import { formatIp, parseCidr } from '../shared/ip.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
/** Microsoft clouds a Teams tenant lives in; chat/teams/transport/clouds.ts holds their endpoints. */
export const TEAMS_CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;

/**
 * Keys whose values are secrets: never echoed in errors or summaries, and each may instead be
 * read from the file named by `<KEY>_FILE` (Docker/Kubernetes secrets). DATABASE_URL is one
 * because it usually carries a password.
 */
export const SECRET_KEYS = [
  'DATABASE_URL',
  'DATABASE_OWNER_URL',
  'SLACK_SIGNING_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_CLIENT_SECRET',
  'TEAMS_APP_PASSWORD',
  'METRICS_TOKEN',
] as const;

/** How to fix a bad value, shown after the problem itself. */
export const ENV_HINTS: Record<string, string> = {
  DATABASE_URL: 'set a postgres://user:password@host:5432/db URL, or unset it to use the embedded Postgres',
  DATABASE_OWNER_URL:
    'set a postgres:// URL of the same database as DATABASE_URL for the role that owns the schema and runs migrations (another role than DATABASE_URL\'s), or unset it',
  EMBEDDED_PG_DIR: 'set a folder for the embedded Postgres data, or unset it for .data/pg',
  EMBEDDED_PG_PORT: 'set a free TCP port, or unset it for 54329',
  HOST: 'set the address to listen on (e.g. 127.0.0.1 or 0.0.0.0), or unset it for 127.0.0.1',
  PORT: 'set the HTTP port, or unset it for 3000',
  PUBLIC_URL: 'set the URL browsers reach EntryGuard at (e.g. https://entryguard.example.com), or unset it for http://localhost:PORT',
  PUBLIC_URL_V4: 'set an http(s) URL whose host name has only an IPv4 address (e.g. https://v4.entryguard.example.com), or unset it',
  PUBLIC_URL_V6: 'set an http(s) URL whose host name has only an IPv6 address (e.g. https://v6.entryguard.example.com), or unset it',
  TRUST_PROXY: 'list your proxies\' own IPs or CIDRs separated by commas (e.g. 10.0.1.0/24,192.0.2.7) or "loopback", or unset it to trust no proxy',
  LOG_LEVEL: 'or unset it for info',
  LOG_FORMAT: 'or unset it: one readable line per event on a terminal, JSON otherwise',
  NODE_ENV: 'or unset it for development',
  WORKER_CONCURRENCY: 'or unset it for 4',
  CLAIM_TTL_SECONDS: 'or unset it for 300 (5 minutes)',
  ORG_CONFIG: 'set the path of an organization YAML file, or unset it',
  DEMO: 'or unset it (the demo then runs only without DATABASE_URL)',
  TEAMS_LOCAL: 'true only to try the bot with the Agents Playground or Bot Framework Emulator on this machine (HOST on loopback, never in production), or unset it',
  RATE_LIMIT_PER_MINUTE: 'requests per minute per client address on everything but the chat webhooks and probes; 0 turns the limit off, unset means 1200',
  SLACK_API_URL: 'set the Slack Web API base URL, e.g. https://slack-gov.com/api/ for GovSlack (https only; http only to this machine), or unset it for https://slack.com/api/',
  TEAMS_CLOUD: 'public (default), gcc (GCC), gcc-high (GCC High) or dod, as the bot\'s Azure Bot registration and the Teams tenant are',
  METRICS_TOKEN: 'set a long random string (Prometheus sends it as a bearer token), or unset it to serve /metrics to loopback only',
};

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const nonEmpty = z.string().min(1, 'must not be empty');

/** An absolute http(s) base URL, returned without a trailing slash so `${url}/c/<token>` works. */
export const HttpUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = httpUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => {
    const u = new URL(value);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  });

function httpUrlProblem(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must start with http:// or https://';
  if (u.username || u.password) return 'must not contain a user name or password';
  if (u.search || u.hash) return 'must not have a query (?…) or fragment (#…)';
  return undefined;
}

const PostgresUrl = z.string().superRefine((value, ctx) => {
  // The value is a secret: the message must not repeat it.
  if (!isPostgresUrl(value)) ctx.addIssue({ code: 'custom', message: 'is not a postgres:// or postgresql:// URL' });
});

function isPostgresUrl(value: string): boolean {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const Host = z
  .string()
  .refine((v) => isIP(v) !== 0 || /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v), 'is neither an IP address nor a host name');

/** Loopback as CIDRs, so consumers need to understand only one notation. */
const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'];

/**
 * Proxies whose X-Forwarded-For is believed (docs/architecture.md §4), normalised to canonical CIDRs. A /0
 * is refused: with every address a "proxy", any caller writes the address we open.
 */
export const TrustProxy = z.string().transform((value, ctx) => {
  const out: string[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw.toLowerCase() === 'loopback') {
      out.push(...LOOPBACK_CIDRS);
      continue;
    }
    const cidr = parseCidr(raw);
    if (!cidr) ctx.addIssue({ code: 'custom', message: `"${raw}" is not an IP address, a CIDR or "loopback"` });
    else if (cidr.bits === 0) ctx.addIssue({ code: 'custom', message: `"${raw}" trusts every address, so any caller could choose the address EntryGuard opens; list your proxies' own addresses` });
    else out.push(`${formatIp(cidr)}/${cidr.bits}`);
  }
  return [...new Set(out)];
});

const optionalSecret = nonEmpty.optional();

/**
 * The process environment, key by key. Values arrive trimmed, with empty strings already
 * treated as unset and `<KEY>_FILE` secrets already read (see env.ts).
 */
export const Env = z.object({
  DATABASE_URL: PostgresUrl.optional(),
  DATABASE_OWNER_URL: PostgresUrl.optional(),
  EMBEDDED_PG_DIR: nonEmpty.default('.data/pg'),
  EMBEDDED_PG_PORT: wholeNumber(1, 65535).default(54329),
  HOST: Host.default('127.0.0.1'),
  PORT: wholeNumber(0, 65535).default(3000),
  PUBLIC_URL: HttpUrl.optional(),
  PUBLIC_URL_V4: HttpUrl.optional(),
  PUBLIC_URL_V6: HttpUrl.optional(),
  TRUST_PROXY: TrustProxy.default([]),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
  NODE_ENV: z.enum(NODE_ENVS, { error: `must be one of ${NODE_ENVS.join(', ')}` }).default('development'),
  WORKER_CONCURRENCY: wholeNumber(1, 100).default(4),
  CLAIM_TTL_SECONDS: wholeNumber(30, 3600).default(300),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000).default(1200),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ORG_CONFIG: nonEmpty.optional(),
  DEMO: z.stringbool({ error: 'must be true or false' }).optional(),
  SLACK_SIGNING_SECRET: optionalSecret,
  SLACK_BOT_TOKEN: optionalSecret,
  SLACK_APP_TOKEN: optionalSecret,
  SLACK_CLIENT_ID: nonEmpty.optional(),
  SLACK_CLIENT_SECRET: optionalSecret,
  // Slack sends the bot token to it: https only, like the cloud endpoints (shared/endpoint-url.ts).
  SLACK_API_URL: EndpointUrl().optional(),
  TEAMS_APP_ID: nonEmpty.optional(),
  TEAMS_APP_PASSWORD: optionalSecret,
  TEAMS_TENANT_ID: nonEmpty.optional(),
  TEAMS_CLOUD: z.enum(TEAMS_CLOUDS, { error: `must be one of ${TEAMS_CLOUDS.join(', ')}` }).default('public'),
  // Exactly true/false: a switch that turns token checks off should not also answer to "1" or "on".
  TEAMS_LOCAL: z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive', error: 'must be exactly true or false' }).default(false),
});
export type Env = z.output<typeof Env>;

export const ENV_KEYS = Object.keys(Env.shape) as (keyof typeof Env.shape)[];
