import { loadConfig, type AppConfig } from '../config/env.ts';
import { PROVIDER_KINDS } from '../cloud/registry.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { configApply } from './commands/config-commands.ts';
import { createApiKeyCommand, listApiKeysCommand, revokeApiKeyCommand } from './commands/api-key-command.ts';
import { doctorCommand } from './commands/doctor-command.ts';
import { auditVerifyCommand } from './commands/audit-command.ts';
import { UsageError } from './cli-errors.ts';
import { openDatabase } from './database.ts';
import { type Services } from './services.ts';
import { serve } from './serve.ts';
import { createJobQueue } from '../jobs/job-queue.ts';
import { startJobRelay } from '../jobs/job-relay.ts';
import { systemClock } from '../shared/clock.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

export interface CommandLine {
  positionals: string[];
  values: { 'dry-run'?: boolean | undefined; org?: string | undefined; email?: string | undefined; name?: string | undefined; scopes?: string | undefined; 'expires-days'?: string | undefined; all?: boolean | undefined };
}

/**
 * Runs a command the CLI already checked (cli.ts). Loaded only then: it pulls in the database,
 * the engine and (for start) every chat SDK, seconds of loading a usage mistake need not wait for.
 */
export async function runCommand({ positionals, values }: CommandLine): Promise<number> {
  const [command = 'start', sub, file] = positionals;
  const config = loadConfig(process.env);
  const logger = createCliLogger(config);

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
  throw new UsageError(`unknown command: ${positionals.join(' ')}`);
}

/** Readable lines on a terminal, JSON for a collector; LOG_FORMAT decides when set. */
export function createCliLogger(config: AppConfig): Logger {
  const pretty = (config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  return createLogger({ level: config.logLevel, pretty, colorize: pretty && !!process.stdout.isTTY });
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

