import {
  ProviderError,
  type ApplyResult,
  type ChangeSet,
  type CidrOutcome,
  type FirewallProvider,
  type ProviderEntry,
  type ResourceTarget,
} from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { cidrsToEnsure, toEntry } from '../drift.ts';
import { createNsgApiFactory, type NsgApi } from './client.ts';
import { parseResource, type ParsedResource } from './config.ts';
import { inspectRules } from './integrity.ts';
import { account, planChange, type Plan, type PlannedWrite } from './plan.ts';
import { cidrFamily, cidrKey, planSlots } from './slots.ts';
import { verifyNsg } from './verify.ts';
import { credentialKey, warmUpByClient } from '../warm-up.ts';

/**
 * `azure-nsg`: one managed inbound rule per (protocol, IP family) whose sourceAddressPrefixes
 * is the resource's desired set (see config.ts and README.md). Each apply reads the NSG once,
 * then writes only the rules whose prefix list changes — one PUT carries every added and
 * removed CIDR of that rule — and waits for each long-running operation. Other rules are
 * never written, so their order and priorities stay as they are.
 */
export function createAzureNsgProvider(deps: ProviderDeps): FirewallProvider {
  const forNsg = createNsgApiFactory(deps);

  async function open(resource: ResourceTarget): Promise<{ parsed: ParsedResource; api: NsgApi; signal: AbortSignal }> {
    const parsed = parseResource(resource);
    const api = await forNsg(parsed.nsg, resource);
    return { parsed, api, signal: AbortSignal.timeout(parsed.config.timeoutSeconds * 1000) };
  }

  return {
    kind: 'azure-nsg',
    listsForeignEntries: false,

    async verify(resource) {
      let opened: Awaited<ReturnType<typeof open>>;
      try {
        opened = await open(resource);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { reachable: false, permitted: false, capacityLeft: { v4: 0, v6: 0 }, message };
      }
      return verifyNsg(resource, opened.parsed, opened.api, opened.signal);
    },

    // Signs in and opens the connection with one read of the NSG per client.
    warmUp: warmUpByClient(
      deps.logger,
      (resource) => JSON.stringify([...credentialKey(resource), parseResource(resource).nsg.subscriptionId]),
      async (resource) => {
        const { api, signal } = await open(resource);
        await api.getRules(signal);
      },
    ),

    async list(resource): Promise<ProviderEntry[]> {
      const { parsed, api, signal } = await open(resource);
      const acc = account(await api.getRules(signal), planSlots(resource, parsed), parsed);
      return [...inspectRules(acc, parsed).values()].map((h) => toEntry(h.cidr, h.ruleId, h.problems));
    },

    async apply(resource, requested): Promise<ApplyResult> {
      // A repair is an add: every rule of the CIDR's family is written in full when it differs.
      const change = { add: cidrsToEnsure(requested), remove: requested.remove };
      if (change.add.length === 0 && change.remove.length === 0) return { added: new Map(), removed: new Map() };
      const { parsed, api, signal } = await open(resource);
      const slots = planSlots(resource, parsed);
      let rules;
      try {
        rules = await api.getRules(signal);
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'NOT_FOUND') return nsgGone(change, err);
        throw err;
      }
      const acc = account(rules, slots, parsed);
      const broken = new Set([...inspectRules(acc, parsed)].filter(([, h]) => h.problems.length).map(([key]) => key));
      const plan = planChange(resource, parsed, acc, change, api.label);
      const failures = new Map<PlannedWrite, ProviderError>();
      // One at a time: Azure answers AnotherOperationInProgress to a second write on a busy NSG.
      for (const write of plan.writes) {
        try {
          if (write.kind === 'put') await api.putRule(write.name, write.body, signal);
          else await api.deleteRule(write.name, signal);
        } catch (err) {
          failures.set(write, err instanceof ProviderError ? err : new ProviderError('UNKNOWN', String(err), { retryable: true }));
        }
      }
      if (failures.size) deps.logger.warn({ resource: resource.id, nsg: api.label, errors: [...failures.values()].map((e) => e.code) }, 'azure-nsg: some rule writes failed');
      const ruleOf = (cidr: string) => acc.slots.find((s) => s.family === cidrFamily(cidr))?.name;
      return outcomes(change, plan, failures, ruleOf, broken);
    },
  };
}

/**
 * Per-CIDR result. Every CIDR shares the outcome of the write(s) that moved it — one PUT per
 * rule carries all of them — except CIDRs refused up front (quota, priority, invalid). A CIDR
 * that was not intact (`broken`) needed every write carrying it; an intact one only those that
 * newly add it, since a failed rewrite leaves its rules as they were.
 */
function outcomes(
  change: ChangeSet,
  plan: Plan,
  failures: Map<PlannedWrite, ProviderError>,
  ruleOf: (cidr: string) => string | undefined,
  broken: Set<string>,
): ApplyResult {
  const worst = (errors: ProviderError[]): ProviderError | undefined => errors.find((e) => !e.retryable) ?? errors[0];
  const failed = (pick: (w: PlannedWrite, key: string) => boolean, key: string) =>
    worst([...failures].filter(([w]) => pick(w, key)).map(([, e]) => e));
  const added = new Map<string, CidrOutcome>();
  for (const cidr of change.add) {
    const refused = plan.refused.get(cidr);
    const error = refused ?? failed((w, k) => w.after.has(k) && (broken.has(k) || !w.before.has(k)), cidrKey(cidr));
    added.set(cidr, error ? { ok: false, error } : { ok: true, ruleId: ruleOf(cidr) });
  }
  const removed = new Map<string, CidrOutcome>();
  for (const cidr of change.remove) {
    const error = failed((w, k) => w.before.has(k) && !w.after.has(k), cidrKey(cidr));
    removed.set(cidr, error ? { ok: false, error } : { ok: true });
  }
  return { added, removed };
}

/** The NSG does not exist: nothing of ours can be in it (removals done), nothing can be added. */
function nsgGone(change: ChangeSet, error: ProviderError): ApplyResult {
  return {
    added: new Map(change.add.map((c) => [c, { ok: false, error }])),
    removed: new Map(change.remove.map((c) => [c, { ok: true }])),
  };
}
