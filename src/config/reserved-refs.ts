import path from 'node:path';
import { ENV_KEYS } from './env-schema.ts';

/**
 * Names of EntryGuard's own configuration, which a credential reference (`env:NAME`) may never
 * read: every key of the environment schema, its `<KEY>_FILE` form, whole families that are ours
 * or our database client's (SLACK_*, TEAMS_*, DATABASE_URL*, PG* for libpq …), so a resource's
 * script cannot be handed the signing secret or the database password.
 */
const OWN_KEYS: ReadonlySet<string> = new Set(ENV_KEYS);
const OWN_FAMILIES = /^(?:SLACK_|TEAMS_|DATABASE_URL|TEST_DATABASE_URL|EMBEDDED_PG_|METRICS_|ENTRYGUARD_|EG_|PG[A-Z]|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$)/;

/** Kernel and device trees: /proc/self/environ is the process environment itself. */
const SYSTEM_TREES = ['/proc', '/sys', '/dev'];

/**
 * Why `ref` may not be used as a credential reference, or undefined when it may. `file:` must be
 * an absolute path outside the kernel's trees (a relative one would read from wherever EntryGuard
 * happens to run, e.g. its .env).
 */
export function reservedRefProblem(ref: string): string | undefined {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const base = name.endsWith('_FILE') ? name.slice(0, -5) : name;
    if (OWN_KEYS.has(name) || OWN_KEYS.has(base) || OWN_FAMILIES.test(name)) {
      return `${name} is EntryGuard's own configuration; a credential must come from a variable of its own (e.g. env:AWS_PROD_KEY)`;
    }
  }
  if (ref.startsWith('file:')) {
    const file = ref.slice(5);
    if (!path.isAbsolute(file)) return `${file} must be an absolute path (e.g. file:/run/secrets/aws-prod.json)`;
    const normal = path.resolve(file);
    if (SYSTEM_TREES.some((t) => normal === t || normal.startsWith(`${t}/`))) return `${normal} is not a place for credentials (kernel and device files are EntryGuard's own state)`;
  }
  return undefined;
}
