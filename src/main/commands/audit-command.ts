import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { organizations } from '../../db/schema/index.ts';
import { listAuditChains, NO_ORG_CHAIN, sealAuditEvents, verifyAuditChain } from '../../engine/audit-chain.ts';

/**
 * `entryguard audit verify [--org SLUG]`: checks every organization's audit chain (or one) and
 * prints a line per chain: ok with its event count and head hash (worth recording elsewhere: a
 * later run must end in the same hash or continue from it), or the first broken link. Exit code
 * 1 when any chain is broken, 2 for an unknown organization.
 */
export async function auditVerifyCommand(db: Db, opts: { org?: string | undefined }, out: (line: string) => void): Promise<number> {
  const orgs = await db.select({ id: organizations.id, slug: organizations.slug }).from(organizations);
  const slugOf = new Map(orgs.map((o) => [o.id, o.slug]));
  let orgId: string | undefined;
  if (opts.org) {
    const [org] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, opts.org));
    if (!org) {
      out(`no organization ${opts.org}`);
      return 2;
    }
    orgId = org.id;
  }
  // What the workers have not sealed yet is sealed first (appending honest links only), so a
  // quiet system verifies complete.
  while ((await sealAuditEvents(db)) > 0);
  const chains = await listAuditChains(db, { orgId });
  let broken = 0;
  for (const chain of chains) {
    const report = await verifyAuditChain(db, chain);
    const name = chain === NO_ORG_CHAIN ? '(no organization)' : (slugOf.get(chain) ?? `organization ${chain} (deleted)`);
    if (report.broken) {
      broken++;
      const where = report.broken.eventId ? `event ${report.broken.eventId}${report.broken.seq !== null ? ` (seq ${report.broken.seq})` : ''}` : 'its end';
      out(`${name}: BROKEN at ${where}: ${report.broken.problem}`);
    } else {
      out(`${name}: ok, ${report.events} events, head ${report.headHash ?? '(empty)'}`);
    }
  }
  if (chains.length === 0) out('no audit events yet');
  if (broken) out(`${broken} of ${chains.length} audit chain(s) broken`);
  return broken ? 1 : 0;
}
