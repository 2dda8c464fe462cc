// `entryguard start|web|worker` exactly as the CLI runs it (src/main/serve.ts: same services, same
// signal handling), with the firewall providers tuned for the soak's cloud emulators through
// SOAK_CLOUD_OVERRIDES (fast retries, test CA); the emulators' addresses are in the credentials'
// endpoint settings. Secrets come from the environment like in production.
import { createProviderRegistry } from '../../src/cloud/registry.ts';
import type { CloudOverrides } from '../../src/cloud/deps.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createSecretResolver } from '../../src/main/secrets.ts';
import { serve } from '../../src/main/serve.ts';
import { createLogger } from '../../src/shared/logger.ts';

const role = process.argv[2] ?? 'start';
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const overrides = JSON.parse(process.env.SOAK_CLOUD_OVERRIDES ?? '{}') as CloudOverrides;
const providers = createProviderRegistry({ secrets: createSecretResolver(process.env), logger, overrides });
process.exit(await serve(config, logger, { web: role !== 'worker', worker: role !== 'web' }, { providers }));
