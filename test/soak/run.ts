// `npm run soak [-- --rounds 20 --seconds 900 --seed N]`: the crash soak on this machine (see
// soak.ts). Loopback only: the cloud emulators run in this process, EntryGuard in child
// processes. SOAK_DATABASE_URL names a Postgres server to use; otherwise an embedded one under
// .data/soak-pg. Exits 1 when a target is missed.
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createDatabase } from '../../src/db/client.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { formatSoakTable, runSoak, soakPassed } from './soak.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' } } });
const rounds = Number(values.rounds ?? 20);
const seconds = Number(values.seconds ?? 900);
const seed = Number(values.seed ?? process.env.SOAK_SEED ?? Date.now() % 1_000_000);

const embedded = process.env.SOAK_DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: path.resolve('.data/soak-pg'), port: 54332, database: 'postgres' });
const serverUrl = process.env.SOAK_DATABASE_URL ?? embedded!.url;
const name = `eg_soak_${Date.now()}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
await migrateDatabase(url.toString());
const database = createDatabase(url.toString(), { max: 5 });

process.stdout.write(`crash soak: ${rounds} rounds (at most ${seconds} s), seed ${seed}\n`);
let code: number;
try {
  const logDir = process.env.SOAK_LOG_DIR;
  const result = await runSoak({ databaseUrl: url.toString(), database, rounds, maxSeconds: seconds, seed, logDir, log: (l) => process.stdout.write(`  ${l}\n`) });
  process.stdout.write(`\n${formatSoakTable(result)}\n`);
  code = soakPassed(result) ? 0 : 1;
} finally {
  await database.close();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
  await embedded?.stop();
}
process.exit(code);
