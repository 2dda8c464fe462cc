import { eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { chatWorkspaces, credentials, organizations, resources, roleResources, userResources } from '../../db/schema/index.ts';
import type { Actor } from '../audit.ts';
import type { EngineDeps } from '../deps.ts';
import { executeAccess } from './execute-access.ts';
import { credentialIds as loadCredentialIds, missing, resourceIds as loadResourceIds } from './ids.ts';
import type { OrgPlan } from './plan.ts';

/**
 * Writes one organization's plan inside the caller's transaction, in dependency order
 * (credentials before the resources that use them, retirements before credential deletes).
 * Returns the organization's id.
 */
export async function executeOrgPlan(tx: Tx, deps: EngineDeps, plan: OrgPlan, actor: Actor): Promise<string> {
  const now = deps.clock.now();
  const orgId = await writeOrg(tx, plan, now);
  if (plan.workspaces.add.length) {
    await tx.insert(chatWorkspaces).values(plan.workspaces.add.map((w) => ({ orgId, platform: w.platform, externalId: w.externalId, createdAt: now })));
  }
  if (plan.workspaces.removeIds.length) await tx.delete(chatWorkspaces).where(inArray(chatWorkspaces.id, plan.workspaces.removeIds));

  for (const c of plan.credentials.write) {
    const values = { provider: c.provider, secretRef: c.ref, options: c.options };
    await tx
      .insert(credentials)
      .values({ orgId, name: c.name, ...values, createdAt: now })
      .onConflictDoUpdate({ target: [credentials.orgId, credentials.name], set: values });
  }
  const credentialIds = await loadCredentialIds(tx, orgId);

  for (const r of plan.resources.write) {
    const values = {
      kind: r.kind,
      identifier: r.identifier,
      region: r.region ?? null,
      ports: r.ports,
      config: r.config,
      credentialId: r.credential ? (credentialIds.get(r.credential) ?? missing('credential', r.credential)) : null,
      isActive: r.active,
      // Whatever changed, the last verification may no longer hold: new sessions skip the
      // resource until the verification queued below passes again.
      verifiedAt: null,
      verifyError: null,
      updatedAt: now,
    };
    const [row] = await tx
      .insert(resources)
      .values({ orgId, name: r.name, ...values, createdAt: now })
      .onConflictDoUpdate({ target: [resources.orgId, resources.name], set: values })
      .returning({ id: resources.id });
    await deps.jobs.verifyResource(tx, row!.id);
  }
  const resourceIds = await loadResourceIds(tx, orgId);

  await executeAccess(tx, deps, plan, { orgId, resourceIds, actor: { ...actor, orgId }, now });

  const retired = plan.resources.retire.map((r) => r.id);
  if (retired.length) {
    await tx.update(resources).set({ isActive: false, credentialId: null, updatedAt: now }).where(inArray(resources.id, retired));
    await tx.delete(roleResources).where(inArray(roleResources.resourceId, retired));
    await tx.delete(userResources).where(inArray(userResources.resourceId, retired));
  }
  const removedCredentials = plan.credentials.remove.map((c) => c.id);
  if (removedCredentials.length) await tx.delete(credentials).where(inArray(credentials.id, removedCredentials));
  return orgId;
}

async function writeOrg(tx: Tx, plan: OrgPlan, now: Date): Promise<string> {
  const { spec, current } = plan;
  const values = { name: spec.name, plan: spec.plan, settings: spec.settings, updatedAt: now };
  if (!current.org) {
    const [row] = await tx.insert(organizations).values({ slug: spec.slug, ...values, createdAt: now }).returning({ id: organizations.id });
    return row!.id;
  }
  if (plan.org === 'update') await tx.update(organizations).set(values).where(eq(organizations.id, current.org.id));
  return current.org.id;
}
