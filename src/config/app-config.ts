import type { LogFormat, LogLevel, NodeEnv, TEAMS_CLOUDS } from './env-schema.ts';

/** Where the database is: a URL given by the operator, or the embedded Postgres started by `entryguard start`. */
export type DatabaseConfig =
  | {
      kind: 'external';
      /** The application's role: may only read and append to the audit trail. */
      url: string;
      /** The role that owns the schema and runs migrations; unset = DATABASE_URL's role does both (warned at start). */
      ownerUrl?: string | undefined;
    }
  | { kind: 'embedded'; dataDir: string; port: number };

/**
 * The validated process settings. Holds secrets: print `describeConfig(config)`, never the object
 * itself. (JSON.stringify, pino and util.inspect see the redacted summary anyway, as a safety net.)
 */
export interface AppConfig {
  nodeEnv: NodeEnv;
  logLevel: LogLevel;
  /** pretty or json; unset = pretty when stdout is a terminal. */
  logFormat: LogFormat | undefined;
  database: DatabaseConfig;
  http: {
    host: string;
    port: number;
    /** Absolute http(s) URL without a trailing slash. */
    publicUrl: string;
    /** Single-stack (IPv4-only / IPv6-only) URLs the claim page uses to learn the other address family. */
    publicUrlV4: string | undefined;
    publicUrlV6: string | undefined;
    /** CIDRs of proxies whose X-Forwarded-For is honoured; empty = none. */
    trustProxy: readonly string[];
    /** Requests per minute per client address on every route but the chat webhooks and probes; 0 = no limit. */
    rateLimitPerMinute: number;
    /** Bearer token for /metrics; unset = loopback callers only. */
    metricsToken: string | undefined;
  };
  worker: { concurrency: number };
  claimTtlSeconds: number;
  /** An org YAML file applied at start, when set. */
  orgConfigPath: string | undefined;
  /** Apply the demo organization on first start. */
  demo: boolean;
  slack: {
    signingSecret: string | undefined;
    botToken: string | undefined;
    appToken: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    /** The Web API base URL (GovSlack: https://slack-gov.com/api/); unset = Slack's own. */
    apiUrl: string | undefined;
  };
  /** `local`: accept unsigned activities (Agents Playground / Emulator); refused in production. `cloud`: public, gcc, gcc-high or dod. */
  teams: { appId: string | undefined; appPassword: string | undefined; tenantId: string | undefined; local: boolean; cloud: (typeof TEAMS_CLOUDS)[number] };
}

const secret = (v: string | undefined) => (v === undefined ? 'unset' : 'set');

/** A summary safe to print or log: secrets become set/unset, the database URL loses its password and query. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  const db = config.database;
  return {
    nodeEnv: config.nodeEnv,
    logLevel: config.logLevel,
    database: db.kind === 'embedded' ? `embedded (${db.dataDir}, port ${db.port})` : `external ${describeDatabaseUrl(db.url)}`,
    ...(db.kind === 'external' ? { databaseOwner: db.ownerUrl ? describeDatabaseUrl(db.ownerUrl) : 'unset (DATABASE_URL migrates)' } : {}),
    listen: `${config.http.host}:${config.http.port}`,
    publicUrl: config.http.publicUrl,
    publicUrlV4: config.http.publicUrlV4 ?? 'unset',
    publicUrlV6: config.http.publicUrlV6 ?? 'unset',
    trustProxy: config.http.trustProxy.length ? config.http.trustProxy.join(',') : 'none',
    rateLimitPerMinute: config.http.rateLimitPerMinute || 'off',
    metrics: config.http.metricsToken ? 'bearer token' : 'loopback only',
    workerConcurrency: config.worker.concurrency,
    claimTtlSeconds: config.claimTtlSeconds,
    orgConfig: config.orgConfigPath ?? 'unset',
    demo: config.demo,
    slack: {
      signingSecret: secret(config.slack.signingSecret),
      botToken: secret(config.slack.botToken),
      appToken: secret(config.slack.appToken),
      clientId: config.slack.clientId ?? 'unset',
      clientSecret: secret(config.slack.clientSecret),
      apiUrl: config.slack.apiUrl ?? 'https://slack.com/api/ (default)',
    },
    teams: {
      appId: config.teams.appId ?? 'unset',
      appPassword: secret(config.teams.appPassword),
      tenantId: config.teams.tenantId ?? 'unset',
      local: config.teams.local,
      cloud: config.teams.cloud,
    },
  };
}

/** `postgres://user:***@host:5432/db`: enough to tell which database, nothing to log in with. */
function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${u.username}${u.password ? ':***' : ''}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}

/**
 * Makes accidental logging harmless: JSON.stringify (and so pino) and console.log/util.inspect
 * print the redacted summary. Non-enumerable, so spreading or comparing the config is unaffected.
 */
export function withRedactedPrinting(config: AppConfig): AppConfig {
  const summary = () => describeConfig(config);
  Object.defineProperty(config, 'toJSON', { value: summary, enumerable: false });
  Object.defineProperty(config, Symbol.for('nodejs.util.inspect.custom'), { value: summary, enumerable: false });
  return config;
}
