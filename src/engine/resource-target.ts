import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { credentials, resources } from '../db/schema/index.ts';
import type { ResourceTarget } from './ports.ts';

/** A resource as a provider needs it: its row plus the credential *reference* (never a secret). */
export async function loadResourceTarget(tx: DbOrTx, resourceId: string): Promise<ResourceTarget | undefined> {
  const [row] = await tx
    .select({ resource: resources, credential: credentials })
    .from(resources)
    .leftJoin(credentials, eq(credentials.id, resources.credentialId))
    .where(eq(resources.id, resourceId));
  return row ? toTarget(row) : undefined;
}

/** Every active resource as its provider needs it (one query): what a starting worker gets ready for. */
export async function loadActiveResourceTargets(tx: DbOrTx): Promise<ResourceTarget[]> {
  const rows = await tx
    .select({ resource: resources, credential: credentials })
    .from(resources)
    .leftJoin(credentials, eq(credentials.id, resources.credentialId))
    .where(eq(resources.isActive, true));
  return rows.map(toTarget);
}

function toTarget({ resource: r, credential: c }: { resource: typeof resources.$inferSelect; credential: typeof credentials.$inferSelect | null }): ResourceTarget {
  return {
    id: r.id,
    orgId: r.orgId,
    name: r.name,
    kind: r.kind,
    identifier: r.identifier,
    region: r.region,
    ports: r.ports,
    config: r.config,
    credential: c ? { name: c.name, provider: c.provider, secretRef: c.secretRef, options: c.options } : null,
  };
}
