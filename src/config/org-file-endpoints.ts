import { endpointSchemaFor } from '../shared/cloud-endpoints.ts';
import type { OrgSpec } from './org-file-schema.ts';

type At = (path: PropertyKey[], message: string) => void;

/**
 * Checks `endpoint:` settings when the file is read rather than at the first sync: a credential's
 * `options.endpoint` on its own, and each resource's `config.endpoint` merged over its
 * credential's, exactly as the provider will use them (cloud/endpoints.ts). The schema follows
 * the credential's provider or the resource kind's cloud (aws-…, azure-…, gcp-…).
 */
export function checkEndpoints(org: OrgSpec, base: PropertyKey[], at: At): void {
  const fromCredential = new Map<string, unknown>();
  org.credentials.forEach((c, i) => {
    if (c.options.endpoint === undefined) return;
    const ok = check(c.provider, c.options.endpoint, [...base, 'credentials', i, 'options', 'endpoint'], at);
    if (ok) fromCredential.set(c.name, c.options.endpoint);
  });
  org.resources.forEach((r, i) => {
    const own = r.config.endpoint;
    if (own === undefined) return;
    const inherited = r.credential ? fromCredential.get(r.credential) : undefined;
    const merged = isMapping(own) && isMapping(inherited) ? { ...inherited, ...own } : own;
    check(r.kind, merged, [...base, 'resources', i, 'config', 'endpoint'], at);
  });
}

function check(cloud: string, value: unknown, path: PropertyKey[], at: At): boolean {
  const schema = endpointSchemaFor(cloud);
  if (!schema) {
    at(path, `endpoint settings exist for aws, azure and gcp only, not for "${cloud}"`);
    return false;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return true;
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) at([...path, ...issue.path, key], 'unknown key (misspelt, or in the wrong place?)');
    else at([...path, ...issue.path], issue.message);
  }
  return false;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
