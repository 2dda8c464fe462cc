import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import type { OrgFile } from '../config/org-file.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { findBindingConflicts } from './org-config/conflicts.ts';
import { executeOrgPlan } from './org-config/execute.ts';
import { planOrg, type OrgPlan } from './org-config/plan.ts';
import { resourceLimitIssues, unknownKindIssues } from './org-config/policy.ts';
import { loadCurrentOrg } from './org-config/snapshot.ts';
import { runUseCase } from './use-case.ts';

/** Serialises config applies (and their dry runs) across processes; migrations use 727_274_001. */
const CONFIG_APPLY_LOCK_ID = 727_274_002;

export interface OrgConfigDiff {
  dryRun: boolean;
  /** Every organization of the file, in file order; `lines` is empty when nothing changes. */
  orgs: { slug: string; lines: string[] }[];
  changed: boolean;
}

export interface ApplyOrgConfigOptions {
  dryRun: boolean;
  /** Who applies; each org's audit events are recorded with this actor scoped to that org. */
  actor: Actor;
  /** Provider kinds this build handles (from the cloud registry, passed in by main/). */
  knownKinds: readonly string[];
  /** Where the file came from, for the audit record (e.g. its path). */
  source?: string;
}

/**
 * Makes the database match an org file: for each organization in it, creates, updates and
 * removes its credentials, resources, users, roles and chat bindings. Organizations not in the
 * file are untouched. Everything happens in one transaction under an advisory lock, so two
 * applies run one after the other and a refusal changes nothing. Idempotent: applying the same
 * file again yields an empty diff. With `dryRun` nothing is written and nothing is audited.
 * Missing users are disabled (their live sessions end, reason ADMIN); missing resources are
 * deactivated and unassigned, never deleted; removed roles leave running sessions alone.
 * One CONFIG_APPLY audit event per changed organization lists the diff.
 * Errors: CONFIG_INVALID (unknown kind, a chat id bound to another org), RESOURCE_LIMIT,
 * RESOURCE_IN_USE (a resource to remove, deactivate or move still has live session rules).
 */
export async function applyOrgConfig(deps: EngineDeps, file: OrgFile, opts: ApplyOrgConfigOptions): Promise<OrgConfigDiff> {
  const run = (tx: Tx) => {
    checkPolicy(file, opts.knownKinds);
    return applyInTx(tx, deps, file, opts);
  };
  if (opts.dryRun) return deps.db.transaction(run);
  return runUseCase(deps, opts.actor, { action: 'CONFIG_APPLY', targetType: 'config', targetId: opts.source }, run);
}

async function applyInTx(tx: Tx, deps: EngineDeps, file: OrgFile, opts: ApplyOrgConfigOptions): Promise<OrgConfigDiff> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CONFIG_APPLY_LOCK_ID})`);
  const orgs: OrgConfigDiff['orgs'] = [];
  // One org after the other: each plan sees the writes of the orgs before it.
  for (const spec of file.organizations) {
    const current = await loadCurrentOrg(tx, spec.slug);
    const plan = planOrg(spec, current, opts.dryRun);
    await refuseUnsafe(tx, plan);
    if (!opts.dryRun && plan.lines.length) {
      const orgId = await executeOrgPlan(tx, deps, plan, opts.actor);
      await recordAudit(tx, { ...opts.actor, orgId }, {
        action: 'CONFIG_APPLY',
        targetType: 'organization',
        targetId: orgId,
        details: { slug: spec.slug, source: opts.source, ...countLines(plan), lines: plan.lines.map((l) => l.text) },
      });
    }
    orgs.push({ slug: spec.slug, lines: plan.lines.map((l) => l.text) });
  }
  return { dryRun: opts.dryRun, orgs, changed: orgs.some((o) => o.lines.length > 0) };
}

function checkPolicy(file: OrgFile, knownKinds: readonly string[]): void {
  const kinds = unknownKindIssues(file, knownKinds);
  if (kinds.length) {
    throw new AppError('CONFIG_INVALID', kinds.map((i) => `${i.path}: ${i.message}`).join('\n'), { details: { issues: kinds } });
  }
  const limits = resourceLimitIssues(file);
  if (limits.length) {
    throw new AppError('RESOURCE_LIMIT', limits.map((i) => i.message).join('\n'), { details: { issues: limits } });
  }
}

async function refuseUnsafe(tx: Tx, plan: OrgPlan): Promise<void> {
  const slug = plan.spec.slug;
  const conflicts = await findBindingConflicts(tx, plan.spec, plan.current.org?.id);
  if (conflicts.length) {
    throw new AppError('CONFIG_INVALID', `Cannot apply organization ${slug}:\n${conflicts.map((c) => `  - ${c}`).join('\n')}`, {
      details: { slug, conflicts },
    });
  }
  if (plan.resources.inUse.length) {
    throw new AppError('RESOURCE_IN_USE', `Cannot apply organization ${slug}:\n${plan.resources.inUse.map((c) => `  - ${c}`).join('\n')}`, {
      details: { slug, problems: plan.resources.inUse },
    });
  }
}

function countLines(plan: OrgPlan): { created: number; updated: number; removed: number } {
  const n = (op: string) => plan.lines.filter((l) => l.text.startsWith(op)).length;
  return { created: n('+'), updated: n('~'), removed: n('-') };
}

/** The diff as people read it: one block per organization, or "no changes". */
export function formatOrgConfigDiff(diff: OrgConfigDiff): string {
  if (!diff.changed) return diff.dryRun ? 'no changes (dry run)' : 'no changes';
  const blocks = diff.orgs.map((o) => (o.lines.length ? [`${o.slug}:`, ...o.lines.map((l) => `  ${l}`)].join('\n') : `${o.slug}: no changes`));
  return [...blocks, diff.dryRun ? 'dry run: nothing was changed' : ''].filter(Boolean).join('\n');
}
