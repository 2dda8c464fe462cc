import { and, eq, inArray, ne, or } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { chatIdentities, chatWorkspaces, organizations, users } from '../../db/schema/index.ts';
import type { OrgSpec } from '../../config/org-file.ts';
import type { Platform } from './snapshot.ts';

/**
 * Chat workspaces and chat identities are unique across *all* organizations: one Slack team or
 * Teams tenant belongs to one org, one chat account to one person. Returns a readable problem for
 * each id the file gives this org that another organization already holds.
 */
export async function findBindingConflicts(tx: Tx, spec: OrgSpec, orgId: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  const otherOrg = orgId ? ne(organizations.id, orgId) : undefined;

  const teams = [
    ...spec.slack.teamIds.map((id) => ({ platform: 'slack' as Platform, id })),
    ...spec.teams.tenantIds.map((id) => ({ platform: 'teams' as Platform, id })),
  ];
  for (const platform of ['slack', 'teams'] as const) {
    const ids = teams.filter((t) => t.platform === platform).map((t) => t.id);
    if (!ids.length) continue;
    const taken = await tx
      .select({ externalId: chatWorkspaces.externalId, slug: organizations.slug })
      .from(chatWorkspaces)
      .innerJoin(organizations, eq(organizations.id, chatWorkspaces.orgId))
      .where(and(eq(chatWorkspaces.platform, platform), inArray(chatWorkspaces.externalId, ids), otherOrg));
    for (const t of taken) {
      problems.push(`${platform === 'slack' ? 'Slack team' : 'Teams tenant'} ${t.externalId} already belongs to organization ${t.slug}`);
    }
  }

  const wanted = spec.users.flatMap((u) => [
    ...(u.slack ? [{ platform: 'slack' as Platform, id: u.slack, email: u.email }] : []),
    ...(u.teams ? [{ platform: 'teams' as Platform, id: u.teams, email: u.email }] : []),
  ]);
  if (wanted.length) {
    const taken = await tx
      .select({ platform: chatIdentities.platform, externalId: chatIdentities.externalId, email: users.email, slug: organizations.slug })
      .from(chatIdentities)
      .innerJoin(users, eq(users.id, chatIdentities.userId))
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .where(
        and(
          or(...wanted.map((w) => and(eq(chatIdentities.platform, w.platform), eq(chatIdentities.externalId, w.id)))),
          otherOrg,
        ),
      );
    for (const t of taken) {
      const mine = wanted.find((w) => w.platform === t.platform && w.id === t.externalId);
      problems.push(`${t.platform} user ${t.externalId} (given to ${mine?.email}) already belongs to ${t.email} in organization ${t.slug}`);
    }
  }
  return problems;
}
