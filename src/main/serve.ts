import { readFile } from 'node:fs/promises';
import type { AppConfig } from '../config/env.ts';
import { describeConfig } from '../config/env.ts';
import { parseOrgFile } from '../config/org-file.ts';
import { PROVIDER_KINDS } from '../cloud/registry.ts';
import { applyOrgConfig } from '../engine/apply-org-config.ts';
import { systemActor } from '../engine/audit.ts';
import type { ProviderRegistry } from '../engine/ports.ts';
import type { Logger } from '../shared/logger.ts';
import { ensureDemo } from './demo.ts';
import { whenParentExits } from './parent-watch.ts';
import { startServices } from './services.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `entryguard start | web | worker`: runs until SIGINT/SIGTERM/SIGHUP (or, under npm, until its
 * parent goes away), then stops in the order that loses nothing and returns the exit code.
 * `overrides` is for the crash soak, which points the real process at the cloud emulators.
 */
export async function serve(
  config: AppConfig,
  logger: Logger,
  roles: { web: boolean; worker: boolean },
  overrides: { providers?: ProviderRegistry } = {},
): Promise<number> {
  logger.info({ config: describeConfig(config) }, 'starting EntryGuard');
  let demoKey: string | undefined;
  const services = await startServices(config, process.env, logger, roles, async ({ deps }) => {
    if (config.orgConfigPath) {
      const diff = await applyOrgConfig(deps, parseOrgFile(await readFile(config.orgConfigPath, 'utf8')), {
        dryRun: false,
        actor: systemActor(null, 'startup'),
        knownKinds: PROVIDER_KINDS,
      });
      logger.info({ orgConfig: config.orgConfigPath, diff }, 'organization file applied');
    }
    if (config.demo) demoKey = await ensureDemo(deps, PROVIDER_KINDS);
  }, overrides);
  if (roles.web) {
    out(`\nEntryGuard is running: ${config.http.publicUrl}   (health: ${config.http.publicUrl}/healthz)`);
    if (demoKey) {
      out(`Demo organization created. Your demo API key (shown once, store it):\n  ${demoKey}`);
      out(`Try: curl -s -X POST -H "Authorization: Bearer ${demoKey}" -H 'content-type: application/json' -d '{"duration":"1h"}' ${config.http.publicUrl}/api/v1/sessions`);
      out('Allowed CIDRs appear in .data/demo-allowlist-*.txt and vanish when the session ends.\n');
    }
  } else {
    out(`EntryGuard worker is running (pid ${process.pid})`);
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: HTTP, then worker (running jobs finish), then database');
      services.stop().then(() => {
        logger.info('shutdown complete: running jobs finished and recorded');
        resolve();
      }, (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        resolve();
      });
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
    whenParentExits(() => stop('parent exited'), process.env);
  });
  return 0;
}
