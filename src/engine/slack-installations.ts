import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chatWorkspaces, slackInstallations } from '../db/schema/index.ts';

export type SlackInstallationRow = typeof slackInstallations.$inferSelect;

export interface NewSlackInstallation {
  teamId: string;
  teamName?: string | undefined;
  enterpriseId?: string | undefined;
  appId?: string | undefined;
  botUserId?: string | undefined;
  /** Already sealed by the caller: the engine never sees a Slack token in plain text. */
  botTokenSealed: string;
  scopes: string;
  installedBy?: string | undefined;
}

/**
 * Records (or renews, on a re-install) a workspace's OAuth installation, bound to the
 * organization its team id is bound to in the org file, if any. Returns that binding.
 */
export async function saveSlackInstallation(db: Db, inst: NewSlackInstallation): Promise<{ orgId: string | null }> {
  const [bound] = await db
    .select({ orgId: chatWorkspaces.orgId })
    .from(chatWorkspaces)
    .where(and(eq(chatWorkspaces.platform, 'slack'), eq(chatWorkspaces.externalId, inst.teamId)));
  const orgId = bound?.orgId ?? null;
  const values = { ...inst, orgId, updatedAt: new Date() };
  await db.insert(slackInstallations).values(values).onConflictDoUpdate({ target: slackInstallations.teamId, set: values });
  return { orgId };
}

/** The installation of a workspace (or of its enterprise, for org-wide installs), if any. */
export async function loadSlackInstallation(db: Db, teamId: string): Promise<SlackInstallationRow | undefined> {
  const [row] = await db.select().from(slackInstallations).where(eq(slackInstallations.teamId, teamId));
  return row;
}

/** Every installation's team id and sealed token (a handful of rows: one per workspace). */
export async function listSealedSlackTokens(db: Db): Promise<{ teamId: string; botTokenSealed: string }[]> {
  return db.select({ teamId: slackInstallations.teamId, botTokenSealed: slackInstallations.botTokenSealed }).from(slackInstallations);
}

/**
 * Replaces a workspace's sealed token only if it still is `from` (another process may have
 * re-sealed it, or a re-install replaced it, meanwhile). Returns whether it did.
 */
export async function replaceSealedSlackToken(db: Db, teamId: string, from: string, to: string): Promise<boolean> {
  const rows = await db
    .update(slackInstallations)
    .set({ botTokenSealed: to })
    .where(and(eq(slackInstallations.teamId, teamId), eq(slackInstallations.botTokenSealed, from)))
    .returning({ teamId: slackInstallations.teamId });
  return rows.length > 0;
}
