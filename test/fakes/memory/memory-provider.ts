import {
  ProviderError,
  type ApplyResult,
  type ChangeSet,
  type CidrOutcome,
  type FirewallProvider,
  type ProviderEntry,
  type ProviderRegistry,
  type ResourceTarget,
} from '../../../src/engine/ports.ts';

type Fault = { op: 'add' | 'remove' | 'any'; cidr?: string; error: ProviderError; times: number };

/**
 * An in-memory firewall for engine tests: keeps per-resource CIDR sets, counts calls, can be
 * slowed down, paused mid-call and told to fail. (Adapter tests use the real SDKs and emulators.)
 */
export class MemoryFirewall implements FirewallProvider {
  readonly kind = 'memory';
  /** Tests of the script-like case set this: list() then shows entries nobody recorded. */
  listsForeignEntries = false;
  readonly state = new Map<string, Set<string>>();
  /** Per resource, CIDRs whose rules someone altered, with what list() reports as wrong. */
  readonly damaged = new Map<string, Map<string, string[]>>();
  applyCalls = 0;
  delayMs = 0;
  private faults: Fault[] = [];
  private gate: Promise<void> | undefined;
  private onEnterApply: (() => void) | undefined;

  cidrs(resourceId: string): string[] {
    return [...(this.state.get(resourceId) ?? [])].sort();
  }

  /** Fails matching CIDRs `times` times (Infinity = until cleared). */
  fail(op: Fault['op'], error: { code: string; message: string; retryable: boolean }, opts: { cidr?: string; times?: number } = {}): void {
    this.faults.push({ op, cidr: opts.cidr, error: new ProviderError(error.code, error.message, { retryable: error.retryable }), times: opts.times ?? Infinity });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Someone altered the rules of a present CIDR: list() reports it not intact until it is added or repaired. */
  damage(resourceId: string, cidr: string, problems: string[] = ['tcp/443 missing']): void {
    const map = this.damaged.get(resourceId) ?? new Map<string, string[]>();
    map.set(cidr, problems);
    this.damaged.set(resourceId, map);
  }

  /** The next apply waits (after it started) until `release()`; `entered` resolves once it is inside. */
  pauseNextApply(): { entered: Promise<void>; release: () => void } {
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    const entered = new Promise<void>((r) => (this.onEnterApply = r));
    return { entered, release };
  }

  async verify() {
    return { reachable: true, permitted: true, capacityLeft: { v4: null, v6: null } };
  }

  async list(resource: ResourceTarget): Promise<ProviderEntry[]> {
    return this.cidrs(resource.id).map((cidr) => {
      const problems = this.damaged.get(resource.id)?.get(cidr);
      return problems ? { cidr, ruleId: `mem-${cidr}`, intact: false, problems } : { cidr, ruleId: `mem-${cidr}`, intact: true };
    });
  }

  async apply(resource: ResourceTarget, change: ChangeSet): Promise<ApplyResult> {
    this.applyCalls += 1;
    if (this.gate) {
      const gate = this.gate;
      this.gate = undefined;
      this.onEnterApply?.();
      await gate;
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const set = this.state.get(resource.id) ?? new Set<string>();
    this.state.set(resource.id, set);
    const outcome = (op: 'add' | 'remove', cidr: string): CidrOutcome => {
      const fault = this.faults.find((f) => (f.op === op || f.op === 'any') && (!f.cidr || f.cidr === cidr) && f.times > 0);
      if (fault) {
        fault.times -= 1;
        return { ok: false, error: fault.error };
      }
      if (op === 'add') set.add(cidr);
      else set.delete(cidr);
      this.damaged.get(resource.id)?.delete(cidr);
      return { ok: true, ruleId: `mem-${cidr}` };
    };
    // A repair is an add (as in every provider): it leaves the CIDR exactly as configured.
    const ensure = [...new Set([...change.add, ...(change.repair ?? [])])];
    return {
      removed: new Map(change.remove.map((c) => [c, outcome('remove', c)])),
      added: new Map(ensure.map((c) => [c, outcome('add', c)])),
    };
  }
}

export function memoryRegistry(firewall: MemoryFirewall): ProviderRegistry {
  return { kinds: () => ['memory'], get: async () => firewall };
}
