import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.ts';
import { StartupError, UsageError } from './cli-errors.ts';
import { PROVIDER_KINDS } from '../cloud/registry.ts';

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

/** Commands and their subcommands ([] = none); anything else is refused before reading the environment. */
const COMMANDS: Record<string, string[]> = {
  start: [],
  web: [],
  worker: [],
  migrate: [],
  config: ['validate', 'apply'],
  'api-key': ['create', 'list', 'revoke'],
  doctor: [],
  audit: ['verify'],
  help: [],
};

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  org: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  'expires-days': { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** parseArgs, with its errors said the way the rest of the CLI says them. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const option = /'(-{1,2}[^' ]+)/.exec((err as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option: ${option ?? (err as Error).message}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${option ?? 'an option'} needs a value`);
    throw new UsageError((err as Error).message);
  }
}

/** The command and subcommand, checked against COMMANDS. */
function checkCommand(command: string, sub: string | undefined): void {
  const subs = COMMANDS[command];
  if (!subs) throw new UsageError(`unknown command: ${command}`);
  if (subs.length === 0) return;
  if (!sub) throw new UsageError(`${command}: a subcommand is required (${subs.join(', ')})`);
  if (!subs.includes(sub)) throw new UsageError(`unknown command: ${command} ${sub} (${command} takes ${subs.join(', ')})`);
}

/** A required flag or argument, named when it is missing. */
function required<T>(value: T | undefined, what: string, command: string): T {
  if (value === undefined || value === '') throw new UsageError(`${command}: ${what} is required`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandLine(argv);
  const [command = 'start', sub, file] = positionals;
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  checkCommand(command, sub);
  if (command === 'config' && sub === 'validate') {
    const path = required(file, 'FILE', 'config validate');
    const { configValidate } = await import('./commands/config-commands.ts');
    return configValidate(path, { out, err: (line) => process.stderr.write(`${line}\n`), knownKinds: PROVIDER_KINDS });
  }
  if (command === 'config') required(file, 'FILE', `config ${sub}`);
  if (command === 'api-key' && sub === 'create') {
    required(values.org, '--org', 'api-key create');
    required(values.email, '--email', 'api-key create');
  }
  if (command === 'api-key' && sub === 'revoke') required(file, 'ID or PREFIX', 'api-key revoke');

  const { runCommand } = await import('./run-command.ts');
  return runCommand({ positionals, values });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`entryguard: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof StartupError) process.stderr.write(`entryguard: ${err.message}\n`);
    else process.stderr.write(`entryguard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
