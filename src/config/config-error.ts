import { AppError } from '../shared/errors.ts';

/** One problem in a configuration source: where (an env key or a YAML path) and what to do about it. */
export interface ConfigIssue {
  /** `PORT`, `organizations[0].roles[1].members[0]`, or '' for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the YAML file, when known. */
  line?: number | undefined;
}

/**
 * Every problem of one configuration source at once, so an operator fixes them in one go instead
 * of one restart per mistake. Messages never contain secret values.
 */
export class ConfigError extends AppError {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const text = formatConfigIssues(source, issues);
    super('CONFIG_INVALID', text, { details: { source, issues } });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.path || '(top level)';
  return `${where}: ${issue.message}${issue.line ? ` (line ${issue.line})` : ''}`;
}

export function formatConfigIssues(source: string, issues: readonly ConfigIssue[]): string {
  const n = issues.length;
  return [`${source}: ${n} problem${n === 1 ? '' : 's'}`, ...issues.map((i) => `  - ${formatConfigIssue(i)}`)].join('\n');
}

/** `['organizations', 0, 'roles', 1]` → `organizations[0].roles[1]`, the way people point into YAML. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
