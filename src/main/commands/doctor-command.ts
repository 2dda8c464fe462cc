import { asc } from 'drizzle-orm';
import { organizations, resources } from '../../db/schema/index.ts';
import { eq } from 'drizzle-orm';
import type { SyncDeps } from '../../engine/deps.ts';
import { verifyResource, type VerifyReport } from '../../engine/verify-resource.ts';
import { systemActor } from '../../engine/audit.ts';

/**
 * `entryguard doctor`: verifies every resource now (credentials, reachability, permission,
 * capacity) and prints one line each. Exit code 1 when any resource fails.
 */
export async function doctorCommand(deps: SyncDeps, out: (line: string) => void): Promise<number> {
  const rows = await deps.db
    .select({ id: resources.id, org: organizations.slug })
    .from(resources)
    .innerJoin(organizations, eq(organizations.id, resources.orgId))
    .orderBy(asc(organizations.slug), asc(resources.name));
  if (rows.length === 0) {
    out('no resources configured');
    return 0;
  }
  const reports: (VerifyReport & { org: string })[] = [];
  for (const row of rows) {
    const report = await verifyResource(deps, row.id, systemActor(null, 'doctor'));
    if (report) reports.push({ ...report, org: row.org });
  }
  const cap = (n: number | null) => (n === null ? '∞' : String(n));
  const table = [
    ['org', 'resource', 'kind', 'reachable', 'permitted', 'room v4/v6', 'message'],
    ...reports.map((r) => [r.org, r.name, r.kind, yes(r.reachable), yes(r.permitted), `${cap(r.capacityLeft.v4)}/${cap(r.capacityLeft.v6)}`, r.message ?? '']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return reports.every((r) => r.ok) ? 0 : 1;
}

const yes = (b: boolean) => (b ? 'yes' : 'NO');
