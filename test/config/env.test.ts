import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { describeConfig, loadConfig } from '../../src/config/env.ts';

const noFiles = (_path: string): string => {
  throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
};

function problems(env: Record<string, string | undefined>, readFile: (path: string) => string = noFiles): ConfigError {
  try {
    loadConfig(env, { readFile });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the defaults: embedded Postgres, localhost, demo on', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'embedded', dataDir: '.data/pg', port: 54329 });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      publicUrlV4: undefined,
      publicUrlV6: undefined,
      trustProxy: [],
      rateLimitPerMinute: 1200,
      metricsToken: undefined,
    });
    expect(config).toMatchObject({ logLevel: 'info', nodeEnv: 'development', worker: { concurrency: 4 }, claimTtlSeconds: 300, demo: true, orgConfigPath: undefined });
    expect(config.slack.botToken).toBeUndefined();
  });

  it('turns the demo off with a database URL unless DEMO says otherwise, and derives PUBLIC_URL from PORT', () => {
    const url = 'postgres://eg:pw@db.internal:5432/entryguard';
    expect(loadConfig({ DATABASE_URL: url })).toMatchObject({ database: { kind: 'external', url }, demo: false });
    expect(loadConfig({ DATABASE_URL: url, DEMO: 'true' }).demo).toBe(true);
    expect(loadConfig({ DEMO: 'false' }).demo).toBe(false);
    expect(loadConfig({ PORT: '8080' }).http.publicUrl).toBe('http://localhost:8080');
  });

  it('normalises URLs and proxies, and treats empty values as unset', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://eg.example.com/',
      PUBLIC_URL_V4: 'https://v4.eg.example.com',
      PUBLIC_URL_V6: 'https://v6.eg.example.com/base/',
      TRUST_PROXY: 'loopback, 10.0.0.0/8,192.0.2.7',
      PORT: '',
      LOG_LEVEL: ' ',
    });
    expect(config.http).toMatchObject({
      port: 3000,
      publicUrl: 'https://eg.example.com',
      publicUrlV4: 'https://v4.eg.example.com',
      publicUrlV6: 'https://v6.eg.example.com/base',
      trustProxy: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '192.0.2.7/32'],
    });
    expect(config.logLevel).toBe('info');
  });

  it('refuses a TRUST_PROXY that trusts every address (/0): anyone could then choose the address we open', () => {
    for (const value of ['0.0.0.0/0', '::/0', '10.0.0.0/8, 0:0:0:0:0:0:0:0/0']) {
      const err = problems({ TRUST_PROXY: value });
      expect(err.issues.map((i) => i.path)).toEqual(['TRUST_PROXY']);
      expect(err.message).toMatch(/TRUST_PROXY: ".*\/0" trusts every address/);
    }
  });

  it('reports every bad key in one error, with what to do', () => {
    const err = problems({
      DATABASE_URL: 'mysql://root:hunter2@db/app',
      PORT: 'eighty',
      EMBEDDED_PG_PORT: '70000',
      HOST: 'not a host',
      PUBLIC_URL: 'eg.example.com',
      PUBLIC_URL_V4: 'https://v4.example.com?x=1',
      TRUST_PROXY: '10.0.0.0/33,proxy',
      LOG_LEVEL: 'verbose',
      NODE_ENV: 'staging',
      WORKER_CONCURRENCY: '0',
      CLAIM_TTL_SECONDS: '7200',
      DEMO: 'maybe',
    });
    expect(err.code).toBe('CONFIG_INVALID');
    const keys = [...new Set(err.issues.map((i) => i.path))].sort();
    expect(keys).toEqual(
      ['CLAIM_TTL_SECONDS', 'DATABASE_URL', 'DEMO', 'EMBEDDED_PG_PORT', 'HOST', 'LOG_LEVEL', 'NODE_ENV', 'PORT', 'PUBLIC_URL', 'PUBLIC_URL_V4', 'TRUST_PROXY', 'WORKER_CONCURRENCY'].sort(),
    );
    expect(err.message).toMatch(/^Invalid environment: 13 problems/);
    expect(err.message).toContain('CLAIM_TTL_SECONDS: must be at most 3600 (got "7200") — or unset it for 300');
    expect(err.message).toContain('TRUST_PROXY: "10.0.0.0/33" is not an IP address');
    expect(err.message).toContain('TRUST_PROXY: "proxy" is not an IP address');
    expect(err.message).toContain('PUBLIC_URL: is not an absolute URL (got "eg.example.com")');
    // A secret value is never repeated, even when it is the bad one.
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain('DATABASE_URL: is not a postgres:// or postgresql:// URL — set a postgres://');
  });

  it('takes DATABASE_OWNER_URL (also from a file) for migrations: another role on the same database, next to DATABASE_URL', () => {
    const app = 'postgres://eg_app:app-pw@db.internal:5432/eg';
    const owner = 'postgres://eg_owner:owner-pw@db.internal:5432/eg';
    expect(loadConfig({ DATABASE_URL: app, DATABASE_OWNER_URL: owner }).database).toEqual({ kind: 'external', url: app, ownerUrl: owner });
    expect(loadConfig({ DATABASE_URL: app, DATABASE_OWNER_URL_FILE: '/run/secrets/owner' }, { readFile: () => `${owner}\n` }).database).toEqual({
      kind: 'external',
      url: app,
      ownerUrl: owner,
    });
    expect(problems({ DATABASE_OWNER_URL: owner }).message).toMatch(/DATABASE_OWNER_URL: is set but DATABASE_URL is not/);
    const same = problems({ DATABASE_URL: app, DATABASE_OWNER_URL: 'postgres://eg_app:other@db.internal:5432/eg' });
    expect(same.message).toMatch(/DATABASE_OWNER_URL: uses the same role as DATABASE_URL \("eg_app"\)/);
    expect(problems({ DATABASE_URL: app, DATABASE_OWNER_URL: 'postgres://eg_owner:pw@db.internal:5432/other' }).message).toMatch(/another server or database/);
    for (const err of [same]) expect(err.message).not.toMatch(/app-pw|owner-pw|other@/);
  });

  it('refuses an http single-stack URL behind an https PUBLIC_URL (mixed content)', () => {
    const err = problems({ PUBLIC_URL: 'https://eg.example.com', PUBLIC_URL_V6: 'http://v6.eg.example.com' });
    expect(err.issues.map((i) => i.path)).toEqual(['PUBLIC_URL_V6']);
  });

  it('reads secrets from NAME_FILE, trimming the trailing newline', () => {
    const files: Record<string, string> = {
      '/run/secrets/db': 'postgres://eg:s3cret@db:5432/eg\n',
      '/run/secrets/slack-signing': 'signing-secret-value\n',
      '/run/secrets/teams': '  teams-password \n',
    };
    const config = loadConfig(
      { DATABASE_URL_FILE: '/run/secrets/db', SLACK_SIGNING_SECRET_FILE: '/run/secrets/slack-signing', TEAMS_APP_PASSWORD_FILE: '/run/secrets/teams' },
      { readFile: (p) => files[p] ?? noFiles(p) },
    );
    expect(config.database).toEqual({ kind: 'external', url: 'postgres://eg:s3cret@db:5432/eg' });
    expect(config.slack.signingSecret).toBe('signing-secret-value');
    expect(config.teams.appPassword).toBe('teams-password');
  });

  it('reports unreadable or empty secret files, both forms set, and a bad value read from a file', () => {
    const err = problems(
      {
        SLACK_BOT_TOKEN: 'xoxb-inline',
        SLACK_BOT_TOKEN_FILE: '/run/secrets/bot',
        SLACK_APP_TOKEN_FILE: '/missing',
        SLACK_CLIENT_SECRET_FILE: '/empty',
        DATABASE_URL_FILE: '/db',
      },
      (p) => (p === '/empty' ? '\n' : p === '/db' ? 'not-a-url-but-secret' : noFiles(p)),
    );
    expect(err.issues.map((i) => i.path).sort()).toEqual(['DATABASE_URL', 'SLACK_APP_TOKEN_FILE', 'SLACK_BOT_TOKEN', 'SLACK_CLIENT_SECRET_FILE']);
    expect(err.message).toContain('both SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are set');
    expect(err.message).toContain('cannot read the file "/missing" (ENOENT)');
    expect(err.message).toContain('the file "/empty" is empty');
    expect(err.message).toContain('(read from DATABASE_URL_FILE)');
    expect(err.message).not.toContain('not-a-url-but-secret');
    expect(err.message).not.toContain('xoxb-inline');
  });

  it('never shows a secret in describeConfig, JSON or inspect output', () => {
    const secrets = {
      DATABASE_URL: 'postgres://eg:db-pass-123@db.internal:5432/eg?password=query-pass-456',
      DATABASE_OWNER_URL: 'postgres://eg_owner:owner-pass-321@db.internal:5432/eg',
      SLACK_SIGNING_SECRET: 'sig-secret-789',
      SLACK_BOT_TOKEN: 'xoxb-bot-token-abc',
      SLACK_APP_TOKEN: 'xapp-app-token-def',
      SLACK_CLIENT_SECRET: 'client-secret-ghi',
      TEAMS_APP_PASSWORD: 'teams-pass-jkl',
      METRICS_TOKEN: 'metrics-token-mno-0123456789',
    };
    const config = loadConfig({ ...secrets, SLACK_CLIENT_ID: '123.456', TEAMS_APP_ID: 'app-id', TEAMS_TENANT_ID: 'tenant' });
    const outputs = [JSON.stringify(describeConfig(config)), JSON.stringify(config), inspect(config, { depth: 5 }), `${JSON.stringify({ config })}`];
    for (const out of outputs) {
      for (const value of ['db-pass-123', 'query-pass-456', 'owner-pass-321', 'sig-secret-789', 'xoxb-bot-token-abc', 'xapp-app-token-def', 'client-secret-ghi', 'teams-pass-jkl', 'metrics-token-mno-0123456789']) {
        expect(out).not.toContain(value);
      }
    }
    expect(describeConfig(config)).toMatchObject({
      database: 'external postgres://eg:***@db.internal:5432/eg',
      slack: { signingSecret: 'set', botToken: 'set', appToken: 'set', clientId: '123.456', clientSecret: 'set' },
      teams: { appId: 'app-id', appPassword: 'set', tenantId: 'tenant' },
      metrics: 'bearer token',
      rateLimitPerMinute: 1200,
    });
    // The values are still there for the code that needs them.
    expect(config.slack.botToken).toBe('xoxb-bot-token-abc');
    expect({ ...config.slack }).toEqual(expect.objectContaining({ signingSecret: 'sig-secret-789' }));
  });

  it('refuses a short metrics token without echoing it, a non-numeric rate limit and a TEAMS_LOCAL that is not a boolean', () => {
    const err = (() => {
      try {
        loadConfig({ METRICS_TOKEN: 'short-secret', RATE_LIMIT_PER_MINUTE: 'lots', TEAMS_LOCAL: 'yes please' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(err.issues.map((i) => i.path).sort()).toEqual(['METRICS_TOKEN', 'RATE_LIMIT_PER_MINUTE', 'TEAMS_LOCAL']);
    expect(err.message).not.toContain('short-secret');
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).http.rateLimitPerMinute).toBe(0);
  });

  it('takes TEAMS_LOCAL as exactly true or false, nothing that merely looks like one', () => {
    expect(loadConfig({ TEAMS_LOCAL: 'true' }).teams.local).toBe(true);
    expect(loadConfig({ TEAMS_LOCAL: 'false' }).teams.local).toBe(false);
    for (const value of ['1', 'yes', 'on', 'enabled', 'TRUE', 'True', 'y', '0', 'off']) {
      expect(problems({ TEAMS_LOCAL: value }).issues.map((i) => i.path), value).toEqual(['TEAMS_LOCAL']);
    }
  });

  it('refuses Teams local mode (no token checks) unless the server listens on loopback only', () => {
    for (const HOST of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) expect(loadConfig({ TEAMS_LOCAL: 'true', HOST }).teams.local).toBe(true);
    for (const HOST of ['0.0.0.0', '::', '192.0.2.10', 'eg.example.com']) {
      const err = problems({ TEAMS_LOCAL: 'true', HOST });
      expect(err.issues.map((i) => i.path), HOST).toEqual(['TEAMS_LOCAL']);
      expect(err.message).toContain('only while HOST is a loopback address');
    }
    // With an app id every activity is token-checked: local mode is not in effect, HOST is free.
    expect(loadConfig({ TEAMS_LOCAL: 'true', TEAMS_APP_ID: 'a', TEAMS_APP_PASSWORD: 'p', HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
  });

  it('takes SLACK_API_URL (GovSlack) over https, or http to this machine only, and TEAMS_CLOUD by name', () => {
    const gov = loadConfig({ SLACK_API_URL: 'https://slack-gov.com/api', TEAMS_CLOUD: 'gcc-high' });
    expect(gov.slack.apiUrl).toBe('https://slack-gov.com/api/');
    expect(gov.teams.cloud).toBe('gcc-high');
    expect(describeConfig(gov)).toMatchObject({ slack: { apiUrl: 'https://slack-gov.com/api/' }, teams: { cloud: 'gcc-high' } });
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:4001/api/' }).slack.apiUrl).toBe('http://127.0.0.1:4001/api/');
    expect(loadConfig({})).toMatchObject({ slack: { apiUrl: undefined }, teams: { cloud: 'public' } });
    const err = (() => {
      try {
        loadConfig({ SLACK_API_URL: 'http://slack-proxy.corp.example/api/', TEAMS_CLOUD: 'usgov' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(err.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^SLACK_API_URL: must use https:\/\/ \(credentials are sent to it\); http:\/\/ is allowed only to this machine .*slack-gov\.com/),
      expect.stringMatching(/^TEAMS_CLOUD: must be one of public, gcc, gcc-high, dod .*gcc-high/),
    ]);
  });
});
