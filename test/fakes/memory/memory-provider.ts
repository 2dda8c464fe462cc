import {
  ProviderError,
  type ApplyResult,
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
  /** CIDRs whose rules someone damaged (a port range deleted): listed as not intact until repaired. */
  readonly damaged = new Map<string, Map<string, string>>();
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

  /** Someone removed part of a CIDR's rules by hand (e.g. "tcp/443 missing"). */
  damage(resourceId: string, cidr: string, problem: string): void {
    const map = this.damaged.get(resourceId) ?? new Map<string, string>();
    map.set(cidr, problem);
    this.damaged.set(resourceId, map);
  }

  async list(resource: ResourceTarget): Promise<ProviderEntry[]> {
    const damaged = this.damaged.get(resource.id);
    return this.cidrs(resource.id).map((cidr) => {
      const problem = damaged?.get(cidr);
      return { cidr, ruleId: `mem-${cidr}`, ...(problem ? { intact: false, problems: [problem] } : {}) };
    });
  }

  async apply(resource: ResourceTarget, change: { add: string[]; remove: string[]; repair?: string[] | undefined }): Promise<ApplyResult> {
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
    return {
      removed: new Map(change.remove.map((c) => [c, outcome('remove', c)])),
      added: new Map([...change.add, ...(change.repair ?? [])].map((c) => [c, outcome('add', c)])),
    };
  }
}

export function memoryRegistry(firewall: MemoryFirewall): ProviderRegistry {
  return { kinds: () => ['memory'], get: async () => firewall };
}
