import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { organizations, users } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';

export type UserRow = typeof users.$inferSelect;
export type OrgRow = typeof organizations.$inferSelect;

/**
 * Loads an active user of an org, optionally locking the row: a start takes the lock so that
 * concurrent starts by one person are counted one after another against their limit.
 */
export async function loadActiveUser(
  tx: DbOrTx,
  orgId: string,
  userId: string,
  opts: { lock?: boolean } = {},
): Promise<UserRow> {
  const q = tx.select().from(users).where(and(eq(users.id, userId), eq(users.orgId, orgId)));
  const [user] = opts.lock ? await q.for('update') : await q;
  if (!user) throw new AppError('USER_NOT_FOUND', 'Your account is not known to EntryGuard.');
  if (!user.isActive) throw new AppError('USER_DISABLED', 'Your EntryGuard account is disabled. Ask an admin.');
  return user;
}

export async function loadOrg(tx: DbOrTx, orgId: string): Promise<OrgRow> {
  const [org] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
  if (!org) throw new AppError('ORG_NOT_FOUND', 'Organization not found.');
  return org;
}
