import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/env.ts';
import type { ProviderRegistry } from '../../src/engine/ports.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded-postgres.ts';
import { startServices, type Services } from '../../src/main/services.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort } from '../helpers/free-port.ts';

export interface BenchEnvironment {
  services: Services;
  baseUrl: string;
  /** The bench database, as the server's superuser (floor, profiling, seeding). */
  url: string;
  /** A small pool on `url` for the bench's own statistics queries. */
  admin: postgres.Sql;
  close(): Promise<void>;
}

/**
 * The real composition root (HTTP server + in-process graphile-worker) on a fresh database, with
 * the firewall provider of the caller's choice. BENCH_DATABASE_URL picks a server; otherwise an
 * embedded Postgres under .data/bench-pg.
 */
export async function startBenchEnvironment(providers: ProviderRegistry, opts: { workerConcurrency?: number } = {}): Promise<BenchEnvironment> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.resolve('.data/bench-pg'), port: 54331, database: 'postgres' });
    // pg_stat_statements needs loading at server start: the first run sets it and restarts.
    if (embedded.owned && !(await preloads(embedded.url))) {
      const once = postgres(embedded.url, { max: 1, onnotice: () => {} });
      await once`alter system set shared_preload_libraries = 'pg_stat_statements'`;
      await once.end();
      await embedded.stop();
      embedded = await startEmbeddedPostgres({ dataDir: path.resolve('.data/bench-pg'), port: 54331, database: 'postgres' });
    }
    serverUrl = embedded.url;
  }
  const dbName = `eg_bench_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;

  const config = loadConfig({
    DATABASE_URL: url.toString(),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'warn',
    DEMO: 'false',
    // The benchmark is one client address sending hundreds of starts a second on purpose.
    RATE_LIMIT_PER_MINUTE: '0',
    WORKER_CONCURRENCY: String(opts.workerConcurrency ?? 8),
  });
  const logger = createLogger({ level: 'warn' });
  const benchSql = postgres(url.toString(), { max: 2, onnotice: () => {}, connection: { application_name: 'bench-stats' } });
  const services = await startServices(config, {}, logger, { web: true, worker: true }, undefined, { providers });
  return {
    services,
    baseUrl: services.address!,
    url: url.toString(),
    admin: benchSql,
    async close() {
      await services.stop();
      await benchSql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
      await admin.end();
      await embedded?.stop();
    },
  };
}

async function preloads(serverUrl: string): Promise<boolean> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ v: string }[]>`select current_setting('shared_preload_libraries') as v`;
    return row!.v.includes('pg_stat_statements');
  } finally {
    await sql.end();
  }
}
