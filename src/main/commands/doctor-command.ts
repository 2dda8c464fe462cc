import { asc } from 'drizzle-orm';
import { organizations, resources } from '../../db/schema/index.ts';
import { eq } from 'drizzle-orm';
import type { SyncDeps } from '../../engine/deps.ts';
import { describeApprovalRouting, type ApprovalRoute } from '../../engine/approval-routing.ts';
import { verifyResource, type VerifyReport } from '../../engine/verify-resource.ts';
import { systemActor } from '../../engine/audit.ts';

/**
 * `entryguard doctor`: verifies every resource now (credentials, reachability, permission,
 * capacity) and prints one line each, then where each role's approval requests go in chat.
 * Exit code 1 when any resource fails (approval routing gaps are warnings).
 */
export async function doctorCommand(deps: SyncDeps, out: (line: string) => void): Promise<number> {
  const resourcesOk = await checkResources(deps, out);
  printApprovalRouting(await describeApprovalRouting(deps.db), out);
  return resourcesOk ? 0 : 1;
}

async function checkResources(deps: SyncDeps, out: (line: string) => void): Promise<boolean> {
  const rows = await deps.db
    .select({ id: resources.id, org: organizations.slug })
    .from(resources)
    .innerJoin(organizations, eq(organizations.id, resources.orgId))
    .orderBy(asc(organizations.slug), asc(resources.name));
  if (rows.length === 0) {
    out('no resources configured');
    return true;
  }
  const reports: (VerifyReport & { org: string })[] = [];
  for (const row of rows) {
    const report = await verifyResource(deps, row.id, systemActor(null, 'doctor'));
    if (report) reports.push({ ...report, org: row.org });
  }
  const cap = (n: number | null) => (n === null ? '∞' : String(n));
  printTable(
    [
      ['org', 'resource', 'kind', 'reachable', 'permitted', 'room v4/v6', 'message'],
      ...reports.map((r) => [r.org, r.name, r.kind, yes(r.reachable), yes(r.permitted), `${cap(r.capacityLeft.v4)}/${cap(r.capacityLeft.v6)}`, r.message ?? '']),
    ],
    out,
  );
  return reports.every((r) => r.ok);
}

function printApprovalRouting(routes: ApprovalRoute[], out: (line: string) => void): void {
  if (routes.length === 0) return;
  out('');
  const channel = (r: ApprovalRoute, p: 'slack' | 'teams') => (p in r.channels ? (r.channels[p] ?? 'NONE') : '-');
  printTable([['org', 'role (needs approval)', 'approvers', 'slack channel', 'teams channel'], ...routes.map((r) => [r.org, r.role, String(r.approvers), channel(r, 'slack'), channel(r, 'teams')])], out);
  for (const r of routes.filter((x) => x.unrouted.length)) {
    out(
      `warning: ${r.org}/${r.role}: no approval channel on ${r.unrouted.join(' and ')}, so its approvers are not asked there ` +
        `(only the REST API can decide). Set approval.channels in the org file, or say "approvals here ${r.role}" in the channel.`,
    );
  }
}

function printTable(table: string[][], out: (line: string) => void): void {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

const yes = (b: boolean) => (b ? 'yes' : 'NO');
