import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../config/env.ts';
import { ConfigError } from '../config/config-error.ts';
import { PROVIDER_KINDS } from '../cloud/registry.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { configApply, configValidate } from './commands/config-commands.ts';
import { createApiKeyCommand, listApiKeysCommand, revokeApiKeyCommand } from './commands/api-key-command.ts';
import { doctorCommand } from './commands/doctor-command.ts';
import { auditVerifyCommand } from './commands/audit-command.ts';
import { openDatabase } from './database.ts';
import { type Services } from './services.ts';
import { serve } from './serve.ts';
import { createJobQueue } from '../jobs/job-queue.ts';
import { startJobRelay } from '../jobs/job-relay.ts';
import { systemClock } from '../shared/clock.ts';

const USAGE = `Usage: entryguard <command>

  start                         web server and worker in one process (default)
  web                           the HTTP server only (REST API, claim pages, chat endpoints)
  worker                        the background worker only
  migrate                       bring the database schema up to date and exit
  config validate FILE          check an organization file
  config apply FILE [--dry-run] apply an organization file (prints the diff)
  api-key create --org SLUG --email EMAIL [--name NAME] [--scopes a,b] [--expires-days N (1-365, default 90)]
  api-key list [--org SLUG] [--email EMAIL] [--all]   keys, their owners, expiry and last use
  api-key revoke ID|PREFIX [--org SLUG]               refused from its next request on
  doctor                        verify every resource now and print a table
  audit verify [--org SLUG]     check the audit trail's hash chains; exit 1 at a broken link

Configuration comes from the environment; see README.md.`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      org: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      'expires-days': { type: 'string' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command = 'start', sub, file] = positionals;
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (command === 'config' && sub === 'validate' && file) return configValidate(file, { out });

  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });

  switch (command) {
    case 'start':
      return serve(config, logger, { web: true, worker: true });
    case 'web':
      return serve(config, logger, { web: true, worker: false });
    case 'worker':
      return serve(config, logger, { web: false, worker: true });
    case 'migrate': {
      const db = await openDatabase(config, logger);
      await db.close();
      out('database is up to date');
      return 0;
    }
    case 'config':
      if (sub === 'apply' && file) return withEngine(config, logger, (deps) => configApply(file, { dryRun: !!values['dry-run'] }, { deps, knownKinds: PROVIDER_KINDS, out }));
      break;
    case 'doctor':
      return withEngine(config, logger, (deps) => doctorCommand(deps, out));
    case 'audit':
      if (sub === 'verify') {
        const runtime = await openDatabase(config, logger, { poolSize: 2 });
        try {
          return await auditVerifyCommand(runtime.database.db, { org: values.org }, out);
        } finally {
          await runtime.close();
        }
      }
      break;
    case 'api-key':
      if (sub === 'create' && values.org && values.email) {
        return withEngine(config, logger, (deps) =>
          createApiKeyCommand(
            deps,
            {
              org: values.org!,
              email: values.email!,
              name: values.name ?? 'cli',
              scopes: (values.scopes ?? 'sessions:read,sessions:write').split(',').map((s) => s.trim()).filter(Boolean),
              expiresInDays: values['expires-days'],
            },
            out,
          ),
        );
      }
      if (sub === 'list') return withEngine(config, logger, (deps) => listApiKeysCommand(deps, { org: values.org, email: values.email, all: !!values.all }, out));
      if (sub === 'revoke' && file) return withEngine(config, logger, (deps) => revokeApiKeyCommand(deps, { key: file, org: values.org }, out));
      break;
  }
  out(USAGE);
  return 2;
}

/** A short-lived engine for one CLI command (no worker, no HTTP). */
async function withEngine(
  config: AppConfig,
  logger: Logger,
  fn: (deps: Services['deps']) => Promise<number>,
): Promise<number> {
  const runtime = await openDatabase(config, logger, { poolSize: 2 });
  // Jobs the command queues (an apply asking for syncs) reach graphile-worker before it exits.
  const relay = startJobRelay({ db: runtime.database.db, logger, pollMs: 60_000 });
  try {
    const { createProviderRegistry } = await import('../cloud/registry.ts');
    const { createSecretResolver } = await import('./secrets.ts');
    return await fn({
      db: runtime.database.db,
      clock: systemClock,
      jobs: createJobQueue({ notifications: false, onQueued: relay.wake }),
      logger,
      providers: createProviderRegistry({ secrets: createSecretResolver(process.env), logger }),
    });
  } finally {
    await relay.stop();
    await runtime.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`entryguard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
