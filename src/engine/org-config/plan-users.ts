import type { OrgSpec, UserSpec } from '../../config/org-file.ts';
import { change, plural, setChange, updateLine } from './format.ts';
import type { DiffLine, OrgPlan, UserDisable } from './plan.ts';
import type { CurrentOrg, CurrentUser, Platform } from './snapshot.ts';

/**
 * Users are never deleted (sessions and audit point at them): one gone from the file, or marked
 * `disabled: true`, is disabled, which ends their live sessions. A missing user also loses the
 * chat ids and direct grants the file gave them. `name` is only managed when the file sets it.
 */
export function planUsers(
  spec: OrgSpec,
  current: CurrentOrg,
  lines: DiffLine[],
  dryRun: boolean,
): { users: OrgPlan['users']; identities: OrgPlan['identities'] } {
  const write: UserSpec[] = [];
  const grants: { email: string; resources: string[] }[] = [];
  const disable: UserDisable[] = [];
  const add = (text: string) => lines.push({ text });
  const disableLine = (u: CurrentUser, missing: boolean) => {
    const line = { text: '' };
    lines.push(line);
    const d: UserDisable = { id: u.id, email: u.email.toLowerCase(), missing, liveSessions: u.liveSessions, line };
    d.line.text = disableText(d, dryRun);
    disable.push(d);
  };

  for (const u of spec.users) {
    const row = current.users.get(u.email);
    const wantedGrants = [...u.resources].sort();
    if (!row) {
      add(`+ user ${u.email}${describeNew(u)}`);
      write.push(u);
      if (wantedGrants.length) grants.push({ email: u.email, resources: wantedGrants });
      continue;
    }
    const fields = [
      ...(u.name !== undefined ? change('name', row.displayName, u.name) : []),
      ...change('admin', row.isAdmin, u.admin),
      ...(!row.isActive && !u.disabled ? ['disabled → enabled'] : []),
    ];
    const grantChanges = setChange('resources', row.resources, wantedGrants);
    const changes = [...fields, ...change('slack', row.slack, u.slack), ...change('teams', row.teams, u.teams), ...grantChanges];
    if (fields.length) write.push(u);
    if (grantChanges.length) grants.push({ email: u.email, resources: wantedGrants });
    if (changes.length) add(updateLine(`user ${u.email}`, changes));
    if (row.isActive && u.disabled) disableLine(row, false);
  }

  const listed = new Set(spec.users.map((u) => u.email));
  for (const [email, row] of current.users) {
    if (listed.has(email)) continue;
    if (row.isActive) disableLine(row, true);
    const cleanup = [...change('slack', row.slack, undefined), ...change('teams', row.teams, undefined), ...setChange('resources', row.resources, [])];
    if (cleanup.length) {
      grants.push({ email, resources: [] });
      // Disabling already says the user is going; the rest is detail of the same line.
      if (!row.isActive) add(updateLine(`user ${email}`, cleanup));
    }
  }
  return { users: { write, grants, disable }, identities: planIdentities(spec, current) };
}

function describeNew(u: UserSpec): string {
  const parts = [
    u.name,
    u.admin ? 'admin' : undefined,
    u.disabled ? 'disabled' : undefined,
    u.slack ? `slack ${u.slack}` : undefined,
    u.teams ? `teams ${u.teams}` : undefined,
    u.resources.length ? `resources ${u.resources.join(',')}` : undefined,
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function disableText(d: UserDisable, dryRun: boolean): string {
  const why = d.missing ? 'not in the file: disabled' : 'disabled';
  const sessions = d.liveSessions ? `; ${plural(d.liveSessions, 'live session')} ${dryRun ? 'will end' : 'ended'}` : '';
  return `- user ${d.email} (${why}${sessions})`;
}

export function finishDisableLine(d: UserDisable, ended: number): void {
  d.liveSessions = ended;
  d.line.text = disableText(d, false);
}

/** Chat ids mapped by the file (source 'config'); ids learned from email are left alone. */
function planIdentities(spec: OrgSpec, current: CurrentOrg): OrgPlan['identities'] {
  const wanted = spec.users.flatMap((u) => [
    ...(u.slack ? [{ platform: 'slack' as Platform, externalId: u.slack, email: u.email }] : []),
    ...(u.teams ? [{ platform: 'teams' as Platform, externalId: u.teams, email: u.email }] : []),
  ]);
  const key = (i: { platform: Platform; externalId: string; email: string }) => `${i.platform}\u0000${i.externalId}\u0000${i.email}`;
  const have = new Set(current.identities.map(key));
  const want = new Set(wanted.map(key));
  return {
    removeIds: current.identities.filter((i) => !want.has(key(i))).map((i) => i.id),
    add: wanted.filter((w) => !have.has(key(w))),
  };
}
