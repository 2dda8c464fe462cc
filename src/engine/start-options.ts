import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { resources } from '../db/schema/index.ts';
import { loadStartPolicy } from './start-session.ts';

export interface StartOptions {
  resources: { name: string; kind: string }[];
  offeredMinutes: number[];
  maxTotalMinutes: number;
  needsApproval: boolean;
}

/** What a start would open for this user and which durations they may pick (chat `resources`, usage help). */
export async function describeStartOptions(db: Db, orgId: string, userId: string): Promise<StartOptions> {
  const { entitlements, offered, maxMinutes } = await loadStartPolicy(db, orgId, userId);
  const rows = entitlements.resourceIds.length
    ? await db.select({ name: resources.name, kind: resources.kind }).from(resources).where(inArray(resources.id, entitlements.resourceIds)).orderBy(resources.name)
    : [];
  return { resources: rows, offeredMinutes: offered, maxTotalMinutes: maxMinutes, needsApproval: entitlements.approvalRoles.length > 0 };
}
