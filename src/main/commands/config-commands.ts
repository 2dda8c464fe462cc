import { readFile as readFileFromDisk } from 'node:fs/promises';
import { parseOrgFile, type OrgFile } from '../../config/org-file.ts';
import { applyOrgConfig, formatOrgConfigDiff } from '../../engine/apply-org-config.ts';
import { systemActor, type Actor } from '../../engine/audit.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { resourceLimitIssues } from '../../engine/org-config/policy.ts';
import { isAppError } from '../../shared/errors.ts';

type Writer = (line: string) => void;

export interface ConfigValidateIo {
  out: Writer;
  /** Where problems go; defaults to `out`. */
  err?: Writer;
  /** Provider kinds of this build; without them resource kinds are not checked. */
  knownKinds?: readonly string[];
  readFile?: (path: string) => Promise<string>;
}

export interface ConfigApplyContext {
  deps: EngineDeps;
  knownKinds: readonly string[];
  out: Writer;
  err?: Writer;
  /** Recorded in the audit log; defaults to system:cli. */
  actor?: Actor;
  readFile?: (path: string) => Promise<string>;
}

/**
 * `entryguard config validate FILE`: checks the file offline (shape, references, kinds, plan
 * limits) without touching a database. Prints OK with a summary, or every problem. Exit code 0 / 1.
 */
export async function configValidate(file: string, io: ConfigValidateIo): Promise<number> {
  const err = io.err ?? io.out;
  // Plan limits are checked with the references, so every problem is reported in one run.
  const parsed = await load(file, io.readFile, io.knownKinds, err, resourceLimitIssues);
  if (!parsed) return 1;
  io.out(`OK: ${file}`);
  for (const o of parsed.organizations) {
    io.out(`  ${o.slug} (${o.plan}): ${count(o.users.length, 'user')}, ${count(o.roles.length, 'role')}, ${count(o.resources.length, 'resource')}, ${count(o.credentials.length, 'credential')}`);
  }
  return 0;
}

/**
 * `entryguard config apply FILE [--dry-run]`: applies the file in one transaction and prints the
 * diff per organization ("no changes" when there is none). A refusal (invalid file, a resource
 * still in use, a plan limit) prints why and changes nothing. Exit code 0 / 1.
 */
export async function configApply(file: string, opts: { dryRun: boolean }, ctx: ConfigApplyContext): Promise<number> {
  const err = ctx.err ?? ctx.out;
  const parsed = await load(file, ctx.readFile, ctx.knownKinds, err);
  if (!parsed) return 1;
  try {
    const diff = await applyOrgConfig(ctx.deps, parsed, {
      dryRun: opts.dryRun,
      actor: ctx.actor ?? systemActor(null, 'cli'),
      knownKinds: ctx.knownKinds,
      source: file,
    });
    formatOrgConfigDiff(diff).split('\n').forEach((line) => ctx.out(line));
    return 0;
  } catch (e) {
    if (!isAppError(e)) throw e;
    err(`${file}: not applied (${e.code})`);
    e.message.split('\n').forEach((line) => err(line));
    return 1;
  }
}

async function load(
  file: string,
  readFile: ((path: string) => Promise<string>) | undefined,
  knownKinds: readonly string[] | undefined,
  err: Writer,
  moreChecks?: (file: OrgFile) => { path: string; message: string }[],
): Promise<OrgFile | undefined> {
  let text: string;
  try {
    text = await (readFile ?? ((p: string) => readFileFromDisk(p, 'utf8')))(file);
  } catch (e) {
    err(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return undefined;
  }
  try {
    return parseOrgFile(text, { knownKinds, source: file, ...(moreChecks ? { moreChecks } : {}) });
  } catch (e) {
    if (!isAppError(e)) throw e;
    e.message.split('\n').forEach((line) => err(line));
    return undefined;
  }
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
