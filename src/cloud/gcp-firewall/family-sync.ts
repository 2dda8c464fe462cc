import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type CidrOutcome, type ResourceTarget } from '../../engine/ports.ts';
import { withFreshToken, type GcpClients } from './clients.ts';
import type { Family, GcpFirewallConfig } from './config.ts';
import { planFamily, type FamilyPlan } from './cidrs.ts';
import { toProviderError, type ErrorContext } from './errors.ts';
import { mutate, type GcpSettings, type Operation } from './operations.ts';
import { ownershipError, ruleBody, ruleDrift, type Firewall } from './rules.ts';

export interface FamilyTarget {
  clients: GcpClients;
  settings: GcpSettings;
  resource: ResourceTarget;
  config: GcpFirewallConfig;
  family: Family;
  ruleName: string;
  /** Patch `sourceRanges` only (the rest of the config is not trustworthy right now). */
  rangesOnly?: boolean;
}

export interface FamilyOutcomes {
  added: Map<string, CidrOutcome>;
  removed: Map<string, CidrOutcome>;
}

/** Failures where reading the rule again and re-planning is the fix: it was busy or changed under us. */
const REPLAN = new Set(['RESOURCE_NOT_READY', 'CONFLICT', 'RULE_NOT_FOUND']);

export function errorContext(t: Pick<FamilyTarget, 'clients' | 'config'>, action: ErrorContext['action'], target: string): ErrorContext {
  return { action, project: t.config.project, target, credential: t.clients.credentialName };
}

/** The rule, or undefined when it does not exist. Throws ProviderError. */
export async function readRule(t: Pick<FamilyTarget, 'clients' | 'config' | 'settings'>, name: string): Promise<Firewall | undefined> {
  try {
    const get = () => t.clients.firewalls.get({ project: t.config.project, firewall: name }, { timeout: t.settings.timeoutMs });
    const [rule] = await withFreshToken(t.clients, get);
    return rule;
  } catch (err) {
    const mapped = toProviderError(err, errorContext(t, 'read', name));
    if (mapped.code === 'RULE_NOT_FOUND') return undefined;
    throw mapped;
  }
}

/** How an existing rule is written: ranges (and config) patched, replaced whole (PUT), or deleted and inserted again. */
type Rewrite = 'patch' | 'replace' | 'recreate';

/**
 * Brings one family's rule from its current ranges to current + add − remove: insert when it does
 * not exist, delete when the set becomes empty (an empty list cannot be patched: proto3 JSON drops
 * it), patch otherwise. A rule of ours that no longer holds what EntryGuard writes (see ruleDrift)
 * is rewritten in full even when its ranges stay, so an add or a repair always leaves it as
 * configured. A busy rule (`resourceNotReady`) is read again and retried a bounded number of times;
 * after that the CIDRs get a retryable error. Never throws.
 */
export async function syncFamily(t: FamilyTarget, add: string[], remove: string[]): Promise<FamilyOutcomes> {
  let plan: FamilyPlan | undefined;
  let altered = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const rule = await readRule(t, t.ruleName);
      if (rule) {
        const foreign = ownershipError(rule, t.resource, t.config);
        if (foreign) return failAll(add, remove, foreign);
      }
      // With a config that cannot be trusted, only the ranges are written (and nothing is compared).
      const drift = rule && !t.rangesOnly ? ruleDrift(rule, t.resource, t.config) : undefined;
      altered = !!drift?.problems.length;
      plan = planFamily(rule?.sourceRanges ?? [], add, remove, t.config.maxSourceRanges);
      const rewrite: Rewrite = !altered ? 'patch' : drift!.recreate ? 'recreate' : 'replace';
      if (plan.changed || (altered && plan.next.length > 0)) await write(t, rule, plan.next, rewrite);
      return outcomes(t, plan, remove, undefined, altered);
    } catch (err) {
      const mapped = toProviderError(err, errorContext(t, 'update', t.ruleName));
      if (REPLAN.has(mapped.code) && attempt < t.settings.maxAttempts) {
        await sleep(t.settings.retryDelayMs * 2 ** (attempt - 1));
        continue;
      }
      return plan ? outcomes(t, plan, remove, mapped, altered) : failAll(add, remove, mapped);
    }
  }
}

async function write(t: FamilyTarget, rule: Firewall | undefined, next: string[], rewrite: Rewrite): Promise<Operation> {
  const project = t.config.project;
  const firewalls = t.clients.firewalls;
  // The LRO wrapper types `latestResponse` as google.longrunning.Operation; for compute it is the compute Operation.
  const op = (r: [{ latestResponse: unknown }, ...unknown[]]) => r[0].latestResponse as Operation;
  const insert = () =>
    mutate(t.clients, t.settings, errorContext(t, 'create', t.ruleName), async (requestId, call) =>
      op(await firewalls.insert({ project, requestId, firewallResource: ruleBody(t.resource, t.config, t.ruleName, next) }, call)),
    );
  const remove = () =>
    mutate(t.clients, t.settings, errorContext(t, 'delete', t.ruleName), async (requestId, call) =>
      op(await firewalls.delete({ project, requestId, firewall: t.ruleName }, call)),
    );
  if (!rule) return insert();
  if (next.length === 0) return remove();
  if (rewrite === 'recreate') {
    // The rule lets nothing in as it is, so there is no access to lose between the two calls.
    await remove();
    return insert();
  }
  if (rewrite === 'replace') {
    // PUT: every field not sent is cleared (tags, other sources …), which a PATCH cannot do.
    const full = ruleBody(t.resource, t.config, t.ruleName, next);
    return mutate(t.clients, t.settings, errorContext(t, 'update', t.ruleName), async (requestId, call) =>
      op(await firewalls.update({ project, requestId, firewall: t.ruleName, firewallResource: full }, call)),
    );
  }
  // A rule's network cannot change; everything else follows the resource config.
  const { network: _network, ...full } = ruleBody(t.resource, t.config, t.ruleName, next);
  const patch = t.rangesOnly ? { sourceRanges: next } : full;
  return mutate(t.clients, t.settings, errorContext(t, 'update', t.ruleName), async (requestId, call) =>
    op(await firewalls.patch({ project, requestId, firewall: t.ruleName, firewallResource: patch }, call)),
  );
}

/** `altered`: the rule had to be rewritten, so CIDRs already in it share the write's fate too. */
function outcomes(t: FamilyTarget, plan: FamilyPlan, remove: string[], error: ProviderError | undefined, altered: boolean): FamilyOutcomes {
  const ok: CidrOutcome = { ok: true, ruleId: t.ruleName };
  const failed: CidrOutcome = error ? { ok: false, error } : ok;
  const added = new Map<string, CidrOutcome>();
  const removed = new Map<string, CidrOutcome>();
  for (const cidr of plan.present) added.set(cidr, altered ? failed : ok);
  for (const cidr of plan.added) added.set(cidr, failed);
  for (const cidr of plan.overLimit) {
    const quota = new ProviderError(
      'QUOTA_EXCEEDED',
      `Firewall rule "${t.ruleName}" is full: it holds ${plan.next.length} of ${t.config.maxSourceRanges} source ranges ` +
        `(config.maxSourceRanges), so ${cidr} was not added. Split the resource or wait for sessions to end.`,
      { retryable: false },
    );
    added.set(cidr, { ok: false, error: quota });
  }
  // Removing an absent CIDR is done already; only entries this change took out share its fate.
  for (const cidr of remove) removed.set(cidr, plan.removed.includes(cidr) ? failed : ok);
  return { added, removed };
}

function failAll(add: string[], remove: string[], error: ProviderError): FamilyOutcomes {
  const failed: CidrOutcome = { ok: false, error };
  return { added: new Map(add.map((c) => [c, failed])), removed: new Map(remove.map((c) => [c, failed])) };
}
