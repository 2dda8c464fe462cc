import type { Db } from '../db/client.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { JobQueue, ProviderRegistry } from './ports.ts';

/** What every use case needs; built once in main/ and passed in. */
export interface EngineDeps {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
  logger: Logger;
}

/** Use cases that talk to firewalls also need the providers. */
export interface SyncDeps extends EngineDeps {
  providers: ProviderRegistry;
}
