import { closestMatch } from '../shared/suggest.ts';
import { checkEndpoints } from './org-file-endpoints.ts';
import type { OrgFile, OrgSpec } from './org-file-schema.ts';

export interface RefIssue {
  path: PropertyKey[];
  message: string;
}

export interface RefCheckOptions {
  /** Provider kinds the running build knows; omitted = kinds are not checked here. */
  knownKinds?: readonly string[] | undefined;
}

/** `unknown provider kind "aws-securitygroup"; did you mean aws-security-group? known kinds: …` */
export function unknownKindMessage(kind: string, knownKinds: readonly string[]): string {
  const meant = closestMatch(kind, knownKinds);
  return `unknown provider kind "${kind}"; ${meant ? `did you mean ${meant}? ` : ''}known kinds: ${knownKinds.join(', ')}`;
}

/**
 * Checks what a schema cannot: names are unique, every reference (members, approvers, resources,
 * credentials) points at something defined in the same organization, chat ids are bound once,
 * and nothing secret-looking sits in options or config. Returns every problem, in file order.
 */
export function checkOrgFileRefs(file: OrgFile, opts: RefCheckOptions = {}): RefIssue[] {
  const issues: RefIssue[] = [];
  const at = (path: PropertyKey[], message: string) => issues.push({ path, message });
  const once = firstSeen(at);
  file.organizations.forEach((org, o) => {
    const base: PropertyKey[] = ['organizations', o];
    once('org', org.slug, [...base, 'slug'], 'slug is already used by');
    org.slack.teamIds.forEach((id, i) => once('slack-team', id, [...base, 'slack', 'teamIds', i], 'Slack team is already bound by'));
    org.teams.tenantIds.forEach((id, i) => once('teams-tenant', id, [...base, 'teams', 'tenantIds', i], 'Teams tenant is already bound by'));
    org.users.forEach((u, i) => {
      if (u.slack) once('slack-user', u.slack, [...base, 'users', i, 'slack'], 'Slack user id is already given to');
      if (u.teams) once('teams-user', u.teams, [...base, 'users', i, 'teams'], 'Teams user id is already given to');
    });
    checkOrg(org, base, at, opts);
  });
  return issues;
}

function checkOrg(org: OrgSpec, base: PropertyKey[], at: (path: PropertyKey[], message: string) => void, opts: RefCheckOptions): void {
  const scoped = firstSeen(at);
  const credentials = new Set(org.credentials.map((c) => c.name));
  const resources = new Set(org.resources.map((r) => r.name));
  const users = new Map(org.users.map((u) => [u.email, u]));
  const ref = (kind: string, known: Set<string> | Map<string, unknown>, name: string, path: PropertyKey[]) => {
    if (!known.has(name)) at(path, `unknown ${kind} ${name}: define it under ${kind === 'user' ? 'users' : `${kind}s`} of organization ${org.slug}`);
  };
  const noRepeats = (list: string[], path: PropertyKey[]) => {
    list.forEach((item, i) => {
      if (list.indexOf(item) !== i) at([...path, i], `${item} is listed twice`);
    });
  };

  org.credentials.forEach((c, i) => {
    scoped('credential', c.name, [...base, 'credentials', i, 'name'], 'credential name is already used by');
    findSecrets(c.options, [...base, 'credentials', i, 'options'], at);
  });
  org.resources.forEach((r, i) => {
    const path = [...base, 'resources', i];
    scoped('resource', r.name, [...path, 'name'], 'resource name is already used by');
    if (opts.knownKinds && !opts.knownKinds.includes(r.kind)) {
      at([...path, 'kind'], unknownKindMessage(r.kind, opts.knownKinds));
    }
    if (r.credential !== undefined) ref('credential', credentials, r.credential, [...path, 'credential']);
    findSecrets(r.config, [...path, 'config'], at);
  });
  org.users.forEach((u, i) => {
    const path = [...base, 'users', i];
    scoped('user', u.email, [...path, 'email'], 'email is already used by');
    u.resources.forEach((name, j) => ref('resource', resources, name, [...path, 'resources', j]));
    noRepeats(u.resources, [...path, 'resources']);
  });
  org.roles.forEach((role, i) => {
    const path = [...base, 'roles', i];
    scoped('role', role.name, [...path, 'name'], 'role name is already used by');
    role.members.forEach((email, j) => ref('user', users, email, [...path, 'members', j]));
    role.resources.forEach((name, j) => ref('resource', resources, name, [...path, 'resources', j]));
    noRepeats(role.members, [...path, 'members']);
    noRepeats(role.resources, [...path, 'resources']);
    role.approval?.approvers.forEach((email, j) => {
      const approverPath = [...path, 'approval', 'approvers', j];
      ref('user', users, email, approverPath);
      if (users.get(email)?.disabled) at(approverPath, `${email} is disabled and could never approve; pick an active user`);
    });
    if (role.approval) noRepeats(role.approval.approvers, [...path, 'approval', 'approvers']);
  });
  checkEndpoints(org, base, at);
}

/** Reports a value seen before under the same kind, pointing at where it was first defined. */
function firstSeen(at: (path: PropertyKey[], message: string) => void) {
  const seen = new Map<string, PropertyKey[]>();
  return (kind: string, value: string, path: PropertyKey[], message: string) => {
    const key = `${kind}\u0000${value.toLowerCase()}`;
    const first = seen.get(key);
    if (first) at(path, `${value}: ${message} ${describePath(first)}`);
    else seen.set(key, path);
  };
}

function describePath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');
}

/** Key names that hold secrets in every cloud's vocabulary (clientSecret, sasToken, password, privateKey …). */
const SECRET_KEY = /secret|password|passwd|token|privatekey|apikey|connectionstring/;

/**
 * Options and provider config end up in the database; a secret there would break the promise
 * that the database holds references only. A reference (`env:…`, `file:…`) under such a key is fine,
 * and so is a plain URL under a key naming one (`tokenUrl: https://oauth2.example/token`).
 */
function findSecrets(value: unknown, path: PropertyKey[], at: (path: PropertyKey[], message: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findSecrets(v, [...path, i], at));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    const name = key.toLowerCase().replace(/[^a-z]/g, '');
    const isRef = typeof v === 'string' && /^(env|file):/.test(v);
    // No user info, query or fragment: the places a URL could carry a secret.
    const isUrl = typeof v === 'string' && /(?:url|uri|endpoint)$/.test(name) && /^https?:\/\/[^/?#@]+(?:\/[^?#@]*)?$/.test(v);
    if (SECRET_KEY.test(name) && !isRef && !isUrl && (typeof v !== 'object' || v === null)) {
      at([...path, key], `"${key}" looks like a secret; keep secrets out of this file: put it in an environment variable or file and reference it (env:NAME, file:PATH) through a credential`);
    } else findSecrets(v, [...path, key], at);
  }
}
