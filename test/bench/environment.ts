import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/env.ts';
import type { ProviderRegistry } from '../../src/engine/ports.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded-postgres.ts';
import { startServices, type Services } from '../../src/main/services.ts';
import { createLogger } from '../../src/shared/logger.ts';

export interface BenchEnvironment {
  services: Services;
  baseUrl: string;
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
    PORT: String(50000 + Math.floor(Math.random() * 10000)),
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'warn',
    DEMO: 'false',
    // The benchmark is one client address sending hundreds of starts a second on purpose.
    RATE_LIMIT_PER_MINUTE: '0',
    WORKER_CONCURRENCY: String(opts.workerConcurrency ?? 8),
  });
  const logger = createLogger({ level: 'warn' });
  const services = await startServices(config, {}, logger, { web: true, worker: true }, undefined, { providers });
  return {
    services,
    baseUrl: services.address!,
    async close() {
      await services.stop();
      await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
      await admin.end();
      await embedded?.stop();
    },
  };
}
