import type { ResourceTarget } from '../engine/ports.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * A provider's `warmUp`: one read per distinct client — `clientKey` says which targets share one
 * (same account/project/subscription, credential and endpoints) — all at once. A read that fails
 * is only logged at debug: the sync that follows meets the same problem and reports it properly.
 */
export function warmUpByClient(
  logger: Logger,
  clientKey: (resource: ResourceTarget) => string,
  read: (resource: ResourceTarget) => Promise<unknown>,
): (resources: ResourceTarget[]) => Promise<void> {
  return async (resources) => {
    const first = new Map<string, ResourceTarget>();
    for (const resource of resources) {
      let key: string;
      try {
        key = clientKey(resource);
      } catch {
        continue; // a misconfigured resource: its sync says why
      }
      if (!first.has(key)) first.set(key, resource);
    }
    await Promise.all(
      [...first.values()].map((resource) =>
        read(resource).catch((err: unknown) => logger.debug({ err, resourceId: resource.id }, 'could not get ready for this resource; its first sync will')),
      ),
    );
  };
}

/** The part of a client key every cloud shares: which credential, reached through which endpoints. */
export function credentialKey(resource: ResourceTarget): unknown[] {
  return [resource.kind, resource.credential?.secretRef ?? 'default', resource.credential?.options ?? null, resource.config['endpoint'] ?? null];
}
