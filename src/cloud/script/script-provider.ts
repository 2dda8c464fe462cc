import { cidrVersion } from '../../shared/ip.ts';
import {
  ProviderError,
  type ApplyResult,
  type CidrOutcome,
  type FirewallProvider,
  type ResourceTarget,
} from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { cidrsToEnsure, toEntry } from '../drift.ts';
import { ScriptResourceConfig } from './config.ts';
import { parseListOutput } from './list-output.ts';
import { redact, secretPieces } from './redact.ts';
import { runCommand, type CommandResult } from './run-command.ts';

/** Exit status a script uses to say "not now, try again" (sysexits.h EX_TEMPFAIL). */
const EXIT_TEMPFAIL = 75;

export function createScriptProvider(deps: ProviderDeps): FirewallProvider {
  const shell = deps.overrides?.script?.shell;

  /** The commands' environment, and the pieces of the credential to remove from what they print. */
  async function baseEnv(resource: ResourceTarget, config: ScriptResourceConfig): Promise<{ env: Record<string, string>; pieces: string[] }> {
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      ...config.env,
      EG_RESOURCE_ID: resource.id,
      EG_RESOURCE_NAME: resource.name,
      EG_RESOURCE_IDENTIFIER: resource.identifier,
      EG_REGION: resource.region ?? '',
      EG_PORTS: resource.ports.map((p) => `${p.protocol}:${p.from ?? ''}-${p.to ?? p.from ?? ''}`).join(','),
      EG_PROTOCOLS: [...new Set(resource.ports.map((p) => p.protocol))].join(','),
    };
    if (!resource.credential) return { env, pieces: [] };
    const secret = await deps.secrets.resolve(resource.credential.secretRef).catch((err: unknown) => {
      throw new ProviderError('CREDENTIAL_UNAVAILABLE', `credential "${resource.credential!.name}" could not be read: ${(err as Error).message}`, { retryable: false });
    });
    if (secret !== undefined) env.EG_CREDENTIAL = secret;
    return { env, pieces: secretPieces(secret) };
  }

  /** What a person sees of a failure: short, never the script's output (admins find that in the log). */
  function outcomeOf(action: string, result: CommandResult, config: ScriptResourceConfig, resource: ResourceTarget, pieces: string[]): CidrOutcome {
    if (result.exitCode === 0 && !result.timedOut && !result.startError) return { ok: true };
    const detail = describeFailure(action, result, config, pieces);
    deps.logger.warn({ resourceId: resource.id, resource: resource.name, action, exitCode: result.exitCode, detail }, `script ${action} command of resource "${resource.name}" failed`);
    return toOutcome(action, result, config);
  }

  function run(command: string, env: Record<string, string>, config: ScriptResourceConfig): Promise<CommandResult> {
    return runCommand(command, { env, timeoutMs: config.timeoutSeconds * 1000, cwd: config.cwd, shell });
  }

  async function runEach(
    action: 'apply' | 'revoke',
    cidrs: string[],
    resource: ResourceTarget,
    config: ScriptResourceConfig,
  ): Promise<Map<string, CidrOutcome>> {
    if (cidrs.length === 0) return new Map();
    const { env, pieces } = await baseEnv(resource, config);
    const outcomes = new Map<string, CidrOutcome>();
    await forEachLimited(cidrs, config.concurrency, async (cidr) => {
      const result = await run(
        config[action],
        { ...env, EG_ACTION: action, EG_CIDR: cidr, EG_IP: cidr.split('/')[0]!, EG_IP_VERSION: String(cidrVersion(cidr)) },
        config,
      );
      outcomes.set(cidr, outcomeOf(action, result, config, resource, pieces));
    });
    return outcomes;
  }

  return {
    kind: 'script',
    // `list` prints the whole allowlist, with addresses people put there by hand.
    listsForeignEntries: true,

    async verify(resource) {
      const config = parseConfig(resource);
      if (!config.verify) return { reachable: true, permitted: true, capacityLeft: { v4: null, v6: null } };
      const { env, pieces } = await baseEnv(resource, config);
      const result = await run(config.verify, { ...env, EG_ACTION: 'verify' }, config);
      const ok = result.exitCode === 0 && !result.timedOut && !result.startError;
      // Verification results are for admins (resource health), so they keep the detail, redacted.
      return {
        reachable: ok,
        permitted: ok,
        capacityLeft: { v4: null, v6: null },
        message: ok ? undefined : describeFailure('verify', result, config, pieces),
      };
    },

    async list(resource) {
      const config = parseConfig(resource);
      if (!config.list) return undefined;
      const { env, pieces } = await baseEnv(resource, config);
      const result = await run(config.list, { ...env, EG_ACTION: 'list' }, config);
      const outcome = outcomeOf('list', result, config, resource, pieces);
      if (!outcome.ok) throw outcome.error;
      const output = parseListOutput(result.stdout);
      if (output.ignoredCount) {
        deps.logger.warn(
          { resourceId: resource.id, ignored: output.ignoredCount, lines: output.ignored },
          `script list of resource "${resource.name}": ignored ${output.ignoredCount} line(s) that are not a CIDR or IP address`,
        );
      }
      // A script's granularity is the CIDR: a listed one is intact.
      return output.cidrs.map((cidr) => toEntry(cidr, undefined, []));
    },

    async apply(resource, change): Promise<ApplyResult> {
      const config = parseConfig(resource);
      // Removals first: they free room, and a failed add must not hold back a removal.
      const removed = await runEach('revoke', change.remove, resource, config);
      // A repair runs `apply` again: it must be idempotent anyway (an add is retried after a crash).
      const added = await runEach('apply', cidrsToEnsure(change), resource, config);
      return { added, removed };
    },
  };
}

function parseConfig(resource: ResourceTarget): ScriptResourceConfig {
  const parsed = ScriptResourceConfig.safeParse(resource.config);
  if (!parsed.success) {
    throw new ProviderError('INVALID_CONFIG', `resource "${resource.name}": ${parsed.error.issues[0]?.message}`, {
      retryable: false,
    });
  }
  return parsed.data;
}

function toOutcome(action: string, result: CommandResult, config: ScriptResourceConfig): CidrOutcome {
  if (result.startError) {
    return { ok: false, error: new ProviderError('SCRIPT_NOT_STARTED', `${action} command could not be started (${result.startError})`, { retryable: false }) };
  }
  const retryable = result.timedOut || result.exitCode === EXIT_TEMPFAIL;
  const code = result.timedOut ? 'TIMEOUT' : retryable ? 'TEMPORARY_FAILURE' : 'SCRIPT_FAILED';
  const message = result.timedOut
    ? `${action} command timed out after ${config.timeoutSeconds}s`
    : `${action} command failed (exit ${result.exitCode}); details are in the EntryGuard log`;
  return { ok: false, error: new ProviderError(code, message, { retryable }) };
}

/** The failure with the end of the script's stderr, the credential removed: for admins. */
function describeFailure(action: string, result: CommandResult, config: ScriptResourceConfig, pieces: string[]): string {
  if (result.startError) return `${action} command could not be started (${result.startError})`;
  if (result.timedOut) return `${action} command timed out after ${config.timeoutSeconds}s`;
  const stderr = redact(result.stderr, pieces).trim().split('\n').slice(-3).join(' ').slice(0, 500);
  return `${action} command exited with ${result.exitCode}${stderr ? `: ${stderr}` : ''}`;
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
