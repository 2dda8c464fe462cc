import { eq, sql } from 'drizzle-orm';
import { stringify } from 'yaml';
import { parseOrgFile } from '../../src/config/org-file.ts';
import { auditEvents, organizations, sessionRules, sessions, users } from '../../src/db/schema/index.ts';
import { applyOrgConfig, type OrgConfigDiff } from '../../src/engine/apply-org-config.ts';
import { systemActor } from '../../src/engine/audit.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import type { Db } from '../../src/db/client.ts';

export const KNOWN_KINDS = ['memory', 'script'] as const;

/** An org file from a plain object, through YAML and the real parser, as a user's file would go. */
export function orgFile(...orgs: object[]) {
  return parseOrgFile(stringify({ organizations: orgs }), { knownKinds: KNOWN_KINDS });
}

export function applyOrgs(deps: EngineDeps, orgs: object[], opts: { dryRun?: boolean } = {}): Promise<OrgConfigDiff> {
  return applyOrgConfig(deps, orgFile(...orgs), {
    dryRun: opts.dryRun ?? false,
    actor: systemActor(null, 'test'),
    knownKinds: KNOWN_KINDS,
    source: 'test.yaml',
  });
}

/** The diff lines of the only org applied. */
export const linesOf = (diff: OrgConfigDiff) => diff.orgs.flatMap((o) => o.lines);

export async function userByEmail(db: Db, email: string) {
  const [u] = await db.select().from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  if (!u) throw new Error(`no user ${email}`);
  return u;
}

export async function orgBySlug(db: Db, slug: string) {
  const [o] = await db.select().from(organizations).where(eq(organizations.slug, slug));
  return o;
}

/** Every row the apply could touch, for "nothing changed" assertions. */
export async function snapshotDb(db: Db) {
  const tables = ['organizations', 'users', 'roles', 'role_members', 'role_approvers', 'role_resources', 'user_resources', 'resources', 'credentials', 'chat_workspaces', 'chat_identities', 'sessions', 'session_rules'];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[t] = await db.execute(sql.raw(`select * from ${t} order by 1, 2`));
  return out;
}

export async function sessionState(db: Db, id: string) {
  const [s] = await db.select().from(sessions).where(eq(sessions.id, id));
  const rules = await db.select({ state: sessionRules.state }).from(sessionRules).where(eq(sessionRules.sessionId, id));
  return { state: s?.state, endedReason: s?.endedReason, rules: rules.map((r) => r.state) };
}

export async function configAudits(db: Db, orgId: string | null) {
  return db
    .select()
    .from(auditEvents)
    .where(orgId ? sql`${auditEvents.orgId} = ${orgId} and ${auditEvents.action} = 'CONFIG_APPLY'` : sql`${auditEvents.action} = 'CONFIG_APPLY'`)
    .orderBy(auditEvents.id);
}
