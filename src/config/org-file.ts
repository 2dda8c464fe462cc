import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.ts';
import { OrgFile } from './org-file-schema.ts';
import { checkOrgFileRefs, unknownKindMessage, type RefCheckOptions } from './org-file-refs.ts';

export { OrgFile } from './org-file-schema.ts';
export type { ApprovalSpec, CredentialSpec, OrgSettingsSpec, OrgSpec, PortSpec, ResourceSpec, RoleSpec, UserSpec } from './org-file-schema.ts';

export type ParseOrgFileOptions = RefCheckOptions & {
  /** Shown in the error's first line, e.g. the file name. */
  source?: string;
  /** More checks of a well-formed file (plan limits), reported together with the references'. */
  moreChecks?: (file: OrgFile) => { path: string; message: string }[];
};

/**
 * Parses and checks an organization file. Throws one ConfigError (CONFIG_INVALID) listing every
 * problem with its YAML path and line, e.g.
 * `organizations[0].roles[1].approval.approvers[0]: unknown user bob@x.io … (line 42)`.
 * Shape errors are reported first; references are checked once the shape is right.
 * Pass `knownKinds` to also refuse resource kinds no provider handles.
 */
export function parseOrgFile(text: string, opts: ParseOrgFileOptions = {}): OrgFile {
  const source = opts.source ?? 'Organization file';
  const lines = new LineCounter();
  // `merge` allows `<<: *anchor`, handy for resources that share most of their config.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message}`, line: lines.linePos(e.pos[0]).line })),
    );
  }
  const lineOf = (path: readonly PropertyKey[]) => lineAt(doc, lines, path);

  const raw: unknown = doc.toJS() ?? {};
  const parsed = OrgFile.safeParse(raw);
  if (!parsed.success) {
    const shape = parsed.error.issues.map((issue) => {
      // An unknown key is best pointed at by the key itself.
      if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
        const path = [...issue.path, issue.keys[0]!];
        return { path: formatPath(path), message: 'unknown key (misspelt, or in the wrong place?)', line: lineOf(path) };
      }
      return { path: formatPath(issue.path), message: describeIssue(issue.message, issue.code, issue.path), line: lineOf(issue.path) };
    });
    // A mistyped kind is worth hearing about in the same run as a missing field.
    const kinds = rawKindIssues(raw, opts.knownKinds).map((i) => ({ path: formatPath(i.path), message: i.message, line: lineOf(i.path) }));
    throw new ConfigError(source, inFileOrder([...shape, ...kinds]));
  }
  const issues: ConfigIssue[] = checkOrgFileRefs(parsed.data, opts).map((i) => ({
    path: formatPath(i.path),
    message: i.message,
    line: lineOf(i.path),
  }));
  issues.push(...(opts.moreChecks?.(parsed.data) ?? []));
  if (issues.length) throw new ConfigError(source, issues);
  return parsed.data;
}

/** Unknown resource kinds in a file whose shape is wrong elsewhere (read from the raw YAML). */
function rawKindIssues(raw: unknown, knownKinds: readonly string[] | undefined): { path: PropertyKey[]; message: string }[] {
  if (!knownKinds) return [];
  const list = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : []);
  const orgs = list((raw as { organizations?: unknown } | null)?.organizations);
  return orgs.flatMap((org, o) =>
    list((org as { resources?: unknown } | null)?.resources).flatMap((r, i) => {
      const kind = (r as { kind?: unknown } | null)?.kind;
      return typeof kind === 'string' && !knownKinds.includes(kind)
        ? [{ path: ['organizations', o, 'resources', i, 'kind'], message: unknownKindMessage(kind, knownKinds) }]
        : [];
    }),
  );
}

/** Issues sorted by line (those without one last), keeping their order otherwise. */
function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.map((issue, n) => ({ issue, n })).sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.n - b.n).map((x) => x.issue);
}

/** zod says "expected array, received undefined"; a person wants to hear the key is missing. */
function describeIssue(message: string, code: string, path: readonly PropertyKey[]): string {
  if (code === 'invalid_type' && /received undefined$/.test(message)) return `is required (${message.replace(/^Invalid input: /, '')})`;
  if (code === 'invalid_type' && path.length === 0) return 'the file must be a mapping with an "organizations" list';
  return message;
}

/** The line of the deepest node on `path` that exists (a missing key points at its parent). */
function lineAt(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = path.length ? doc.getIn(path.slice(0, n) as unknown[], true) : doc.contents;
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
    if (n === 0) break;
  }
  return undefined;
}
