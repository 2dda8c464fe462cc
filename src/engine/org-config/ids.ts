import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { credentials, resources } from '../../db/schema/index.ts';

/** Name (or lower-cased email) → row id, for turning the file's references into foreign keys. */
export type NameIds = Map<string, string>;

export async function credentialIds(tx: Tx, orgId: string): Promise<NameIds> {
  const rows = await tx.select({ id: credentials.id, name: credentials.name }).from(credentials).where(eq(credentials.orgId, orgId));
  return new Map(rows.map((r) => [r.name, r.id]));
}

export async function resourceIds(tx: Tx, orgId: string): Promise<NameIds> {
  const rows = await tx.select({ id: resources.id, name: resources.name }).from(resources).where(eq(resources.orgId, orgId));
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** The file was checked before; reaching this means a reference slipped through, so stop loudly. */
export function missing(kind: string, name: string): never {
  throw new Error(`org config: ${kind} "${name}" is referenced but not defined`);
}
