import path from 'node:path';
import type { AppConfig } from '../config/env.ts';
import { createDatabase, type Database } from '../db/client.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../db/embedded-postgres.ts';
import { migrateDatabase } from '../db/migrate.ts';
import type { Logger } from '../shared/logger.ts';

export interface DatabaseRuntime {
  url: string;
  database: Database;
  embedded: EmbeddedPostgresHandle | undefined;
  /** Closes the pool, then stops the embedded server if we started one. */
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded Postgres; migrates either way (under a lock). */
export async function openDatabase(config: AppConfig, logger: Logger, opts: { poolSize?: number } = {}): Promise<DatabaseRuntime> {
  let url: string;
  let embedded: EmbeddedPostgresHandle | undefined;
  if (config.database.kind === 'external') {
    url = config.database.url;
  } else {
    const dataDir = path.resolve(config.database.dataDir);
    logger.info({ dataDir, port: config.database.port }, 'starting embedded Postgres (set DATABASE_URL to use your own)');
    embedded = await startEmbeddedPostgres({ dataDir, port: config.database.port, log: logger });
    url = embedded.url;
  }
  await migrateDatabase(url);
  const database = createDatabase(url, { max: opts.poolSize ?? 10 });
  return {
    url,
    database,
    embedded,
    async close() {
      await database.close();
      await embedded?.stop();
    },
  };
}
