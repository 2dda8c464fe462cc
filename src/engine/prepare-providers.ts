import { withTimeout } from '../shared/timeout.ts';
import type { SyncDeps } from './deps.ts';
import { loadActiveResourceTargets } from './resource-target.ts';

/** How long a starting worker waits for its providers' first reads before taking jobs anyway. */
const READY_WITHIN_MS = 8_000;

/**
 * Run when a worker starts, before it takes jobs: loads the SDKs the active resources need and
 * gets their clients ready (signed in, API descriptions loaded, connection open — see
 * FirewallProvider.warmUp). After a crash the first syncs are the removals that were cut short;
 * they should not also pay seconds of cold start. Whatever is not ready within `withinMs` (a
 * cloud that does not answer) goes on in the background and the worker starts regardless.
 */
export async function prepareProviders(deps: Pick<SyncDeps, 'db' | 'providers' | 'logger'>, withinMs = READY_WITHIN_MS): Promise<void> {
  const t0 = performance.now();
  const targets = await loadActiveResourceTargets(deps.db);
  const byKind = new Map<string, typeof targets>();
  for (const t of targets) if (deps.providers.kinds().includes(t.kind)) byKind.set(t.kind, [...(byKind.get(t.kind) ?? []), t]);
  // Loading the SDKs is local work (it cannot hang), so it is waited for; only the network reads are bounded.
  const loaded = await Promise.all(
    [...byKind].map(([kind, resources]) =>
      deps.providers.get(kind).then(
        (provider) => ({ provider, resources }),
        (err: unknown) => void deps.logger.warn({ err, kind }, 'could not load a provider; it loads on first use'),
      ),
    ),
  );
  const ready = Promise.all(loaded.map((l) => l?.provider.warmUp?.(l.resources).catch(() => {})));
  try {
    await withTimeout(ready, withinMs);
    deps.logger.debug({ kinds: [...byKind.keys()], ms: Math.round(performance.now() - t0) }, 'providers ready');
  } catch (err) {
    deps.logger.warn({ err }, `providers not ready after ${withinMs} ms; taking jobs anyway`);
  }
}
