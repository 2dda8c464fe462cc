// `entryguard start` exactly as the CLI serves (src/main/serve.ts), for the benchmark's memory and
// start-time figures, from the source (run it with `node --import tsx`) or from the compiled
// build (BENCH_SERVER_FROM=dist, plain node). Plain JS so the same file runs both ways. As in
// test/soak/soak-process.ts, the cloud SDKs are pointed at the loopback emulators through
// SOAK_CLOUD_OVERRIDES; secrets come from the environment like in production.
const fromDist = process.env.BENCH_SERVER_FROM === 'dist';
const at = (mod) => new URL(fromDist ? `../../dist/${mod}.js` : `../../src/${mod}.ts`, import.meta.url).href;

const { createProviderRegistry } = await import(at('cloud/registry'));
const { loadConfig } = await import(at('config/env'));
const { createSecretResolver } = await import(at('main/secrets'));
const { serve } = await import(at('main/serve'));
const { createLogger } = await import(at('shared/logger'));

const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const overrides = JSON.parse(process.env.SOAK_CLOUD_OVERRIDES ?? '{}');
const providers = createProviderRegistry({ secrets: createSecretResolver(process.env), logger, overrides });
process.exit(await serve(config, logger, { web: true, worker: true }, { providers }));
