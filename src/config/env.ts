import { readFileSync } from 'node:fs';
import { type AppConfig, withRedactedPrinting } from './app-config.ts';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { isLoopbackHost } from '../shared/ip.ts';
import { ENV_HINTS, ENV_KEYS, Env, SECRET_KEYS } from './env-schema.ts';

export { describeConfig, type AppConfig, type DatabaseConfig } from './app-config.ts';

export interface LoadConfigOptions {
  /** Reads a `<KEY>_FILE` secret; injected so tests need no files. Defaults to fs.readFileSync. */
  readFile?: (path: string) => string;
}

const SECRETS: ReadonlySet<string> = new Set(SECRET_KEYS);

/**
 * Validates the whole environment at start. Throws one ConfigError (code CONFIG_INVALID) that
 * names every bad key, what is wrong and how to fix it; secret values are never repeated.
 * Only src/main reads process.env, so the environment comes in as a parameter.
 */
export function loadConfig(env: Record<string, string | undefined>, opts: LoadConfigOptions = {}): AppConfig {
  const readFile = opts.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const issues: ConfigIssue[] = [];
  const raw: Record<string, string | undefined> = {};
  for (const key of ENV_KEYS) raw[key] = clean(env[key]);
  const fromFile = new Set<string>();
  for (const key of SECRET_KEYS) {
    const value = readSecretFile(key, env, readFile, issues);
    if (value !== undefined) {
      raw[key] = value;
      fromFile.add(key);
    }
  }

  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      issues.push(envIssue(key, issue.message, SECRETS.has(key) ? undefined : raw[key], fromFile.has(key)));
    }
  }
  if (!parsed.success || issues.length) throw new ConfigError('Invalid environment', dedupe(issues));

  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  // An https claim page cannot call an http single-stack URL: browsers block mixed content.
  for (const key of ['PUBLIC_URL_V4', 'PUBLIC_URL_V6'] as const) {
    if (publicUrl.startsWith('https:') && e[key]?.startsWith('http:')) {
      issues.push(envIssue(key, 'must use https:// because PUBLIC_URL does (browsers block http from an https page)', raw[key], false));
    }
  }
  // Local mode takes unsigned activities; the HTTP layer accepts them from loopback peers only,
  // and listening only on loopback keeps everyone else from even reaching the endpoint.
  if (e.TEAMS_LOCAL && !e.TEAMS_APP_ID && !isLoopbackHost(e.HOST)) {
    issues.push({
      path: 'TEAMS_LOCAL',
      message: `true (local mode: Teams activities without a token) is allowed only while HOST is a loopback address such as 127.0.0.1, ::1 or localhost (got HOST "${e.HOST}") — unset TEAMS_LOCAL, or set HOST=127.0.0.1`,
    });
  }
  issues.push(...databaseIssues(e.DATABASE_URL, e.DATABASE_OWNER_URL));
  if (issues.length) throw new ConfigError('Invalid environment', issues);

  return withRedactedPrinting({
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    database: e.DATABASE_URL
      ? { kind: 'external', url: e.DATABASE_URL, ownerUrl: e.DATABASE_OWNER_URL }
      : { kind: 'embedded', dataDir: e.EMBEDDED_PG_DIR, port: e.EMBEDDED_PG_PORT },
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      publicUrlV4: e.PUBLIC_URL_V4,
      publicUrlV6: e.PUBLIC_URL_V6,
      trustProxy: e.TRUST_PROXY,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      metricsToken: e.METRICS_TOKEN,
    },
    worker: { concurrency: e.WORKER_CONCURRENCY },
    claimTtlSeconds: e.CLAIM_TTL_SECONDS,
    orgConfigPath: e.ORG_CONFIG,
    demo: e.DEMO ?? e.DATABASE_URL === undefined,
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      clientId: e.SLACK_CLIENT_ID,
      clientSecret: e.SLACK_CLIENT_SECRET,
      // The Web API client joins method names to it: keep the trailing slash Slack documents.
      apiUrl: e.SLACK_API_URL ? `${e.SLACK_API_URL}/` : undefined,
    },
    teams: { appId: e.TEAMS_APP_ID, appPassword: e.TEAMS_APP_PASSWORD, tenantId: e.TEAMS_TENANT_ID, local: e.TEAMS_LOCAL, cloud: e.TEAMS_CLOUD },
  });
}

/**
 * The owner URL only makes sense next to DATABASE_URL, and only for another role: migrations
 * run as the owner so that the application's role cannot rewrite the audit trail.
 */
function databaseIssues(appUrl: string | undefined, ownerUrl: string | undefined): ConfigIssue[] {
  if (ownerUrl === undefined) return [];
  const hint = ENV_HINTS.DATABASE_OWNER_URL;
  if (appUrl === undefined) return [{ path: 'DATABASE_OWNER_URL', message: `is set but DATABASE_URL is not (the embedded Postgres sets up both roles itself) — unset it, or set DATABASE_URL too` }];
  const app = new URL(appUrl);
  const owner = new URL(ownerUrl);
  if (decodeURIComponent(app.username) === decodeURIComponent(owner.username)) {
    return [{ path: 'DATABASE_OWNER_URL', message: `uses the same role as DATABASE_URL ("${decodeURIComponent(app.username)}") — ${hint}` }];
  }
  if (app.host !== owner.host || app.pathname !== owner.pathname) {
    return [{ path: 'DATABASE_OWNER_URL', message: `names another server or database than DATABASE_URL — ${hint}` }];
  }
  return [];
}

/** Compose files often leave `KEY=` behind; an empty value means "use the default". */
function clean(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** The secret from `<KEY>_FILE`, if that is set; problems are pushed onto `issues`. */
function readSecretFile(
  key: string,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
  issues: ConfigIssue[],
): string | undefined {
  const fileKey = `${key}_FILE`;
  const path = clean(env[fileKey]);
  if (path === undefined) return undefined;
  if (clean(env[key]) !== undefined) {
    issues.push({ path: key, message: `both ${key} and ${fileKey} are set; keep only one` });
    return undefined;
  }
  let content: string;
  try {
    content = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    issues.push({ path: fileKey, message: `cannot read the file "${path}" (${code}); point ${fileKey} at a readable file holding the ${key} value` });
    return undefined;
  }
  // Secret files usually end with a newline that is not part of the secret.
  const value = content.trim();
  if (!value) {
    issues.push({ path: fileKey, message: `the file "${path}" is empty; put the ${key} value in it` });
    return undefined;
  }
  return value;
}

function envIssue(key: string, problem: string, shownValue: string | undefined, fromFile: boolean): ConfigIssue {
  const got = shownValue === undefined ? '' : ` (got "${shownValue.length > 80 ? `${shownValue.slice(0, 80)}…` : shownValue}")`;
  const source = fromFile ? ` (read from ${key}_FILE)` : '';
  const hint = ENV_HINTS[key];
  return { path: key, message: `${problem}${got}${source}${hint ? ` — ${hint}` : ''}` };
}

/** zod may report several checks of one key; one line per key and message is enough. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
