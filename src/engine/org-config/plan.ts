import type { CredentialSpec, OrgSpec, ResourceSpec, RoleSpec, UserSpec } from '../../config/org-file.ts';
import { change, keysChange, updateLine } from './format.ts';
import { planResources } from './plan-resources.ts';
import { planRoles } from './plan-roles.ts';
import { planUsers } from './plan-users.ts';
import type { CredentialRow, CurrentOrg, CurrentResource, CurrentRole, Platform } from './snapshot.ts';

/** One line of the diff. Mutable so a line can be finished after the write (e.g. how many sessions ended). */
export interface DiffLine {
  text: string;
}

export interface UserDisable {
  id: string;
  email: string;
  /** Gone from the file (rather than `disabled: true`). */
  missing: boolean;
  liveSessions: number;
  line: DiffLine;
}

/** What applying one organization of the file would change, as diff lines and as the writes behind them. */
export interface OrgPlan {
  spec: OrgSpec;
  current: CurrentOrg;
  lines: DiffLine[];
  org: 'create' | 'update' | 'none';
  workspaces: { add: { platform: Platform; externalId: string }[]; removeIds: string[] };
  credentials: { write: CredentialSpec[]; remove: CredentialRow[] };
  resources: { write: ResourceSpec[]; retire: CurrentResource[]; inUse: string[] };
  users: { write: UserSpec[]; grants: { email: string; resources: string[] }[]; disable: UserDisable[] };
  identities: { removeIds: string[]; add: { platform: Platform; externalId: string; email: string }[] };
  roles: { write: RoleSpec[]; remove: CurrentRole[] };
}

/** Pure: compares the file's organization with what the database holds. */
export function planOrg(spec: OrgSpec, current: CurrentOrg, dryRun: boolean): OrgPlan {
  const lines: DiffLine[] = [];
  const add = (text: string) => lines.push({ text });
  const org = planOrgRow(spec, current, add);
  const workspaces = planWorkspaces(spec, current, add);
  const credentials = planCredentials(spec, current, add);
  const resources = planResources(spec, current, add);
  const { users, identities } = planUsers(spec, current, lines, dryRun);
  const roles = planRoles(spec, current, add);
  // Removals read best after additions and changes.
  const removals = lines.filter((l) => l.text.startsWith('-'));
  const rest = lines.filter((l) => !l.text.startsWith('-'));
  return { spec, current, lines: [...rest, ...removals], org, workspaces, credentials, resources, users, identities, roles };
}

function planOrgRow(spec: OrgSpec, current: CurrentOrg, add: (t: string) => void): OrgPlan['org'] {
  const row = current.org;
  if (!row) {
    add(`+ organization ${spec.slug} (${spec.name}, plan ${spec.plan})`);
    return 'create';
  }
  const keys = [...new Set([...Object.keys(row.settings), ...Object.keys(spec.settings)])].sort();
  const changes = [
    ...change('name', row.name, spec.name),
    ...change('plan', row.plan, spec.plan),
    ...keys.flatMap((k) => change(`settings.${k}`, setting(row.settings, k), setting(spec.settings, k))),
  ];
  if (!changes.length) return 'none';
  add(updateLine(`organization ${spec.slug}`, changes));
  return 'update';
}

/** In settings null means "unlimited" and absent means "the plan's value"; the diff says which. */
function setting(settings: object, key: string): unknown {
  const value = (settings as Record<string, unknown>)[key];
  return value === null ? 'unlimited' : value;
}

function planWorkspaces(spec: OrgSpec, current: CurrentOrg, add: (t: string) => void): OrgPlan['workspaces'] {
  const label = (p: Platform) => (p === 'slack' ? 'slack workspace' : 'teams tenant');
  const wanted = [
    ...spec.slack.teamIds.map((externalId) => ({ platform: 'slack' as const, externalId })),
    ...spec.teams.tenantIds.map((externalId) => ({ platform: 'teams' as const, externalId })),
  ];
  const has = (list: { platform: Platform; externalId: string }[], w: { platform: Platform; externalId: string }) =>
    list.some((x) => x.platform === w.platform && x.externalId.toLowerCase() === w.externalId.toLowerCase());
  const toAdd = wanted.filter((w) => !has(current.workspaces, w));
  const toRemove = current.workspaces.filter((w) => !has(wanted, w));
  toAdd.forEach((w) => add(`+ ${label(w.platform)} ${w.externalId}`));
  toRemove.forEach((w) => add(`- ${label(w.platform)} ${w.externalId}`));
  return { add: toAdd, removeIds: toRemove.map((w) => w.id) };
}

function planCredentials(spec: OrgSpec, current: CurrentOrg, add: (t: string) => void): OrgPlan['credentials'] {
  const write: CredentialSpec[] = [];
  for (const c of spec.credentials) {
    const row = current.credentials.get(c.name);
    if (!row) {
      add(`+ credential ${c.name} (${c.provider}, ${c.ref})`);
      write.push(c);
      continue;
    }
    const changes = [...change('provider', row.provider, c.provider), ...change('ref', row.secretRef, c.ref), ...keysChange('options', row.options, c.options)];
    if (changes.length) {
      add(updateLine(`credential ${c.name}`, changes));
      write.push(c);
    }
  }
  const keep = new Set(spec.credentials.map((c) => c.name));
  const remove = [...current.credentials.values()].filter((row) => !keep.has(row.name));
  remove.forEach((row) => add(`- credential ${row.name} (${row.provider})`));
  return { write, remove };
}
