import net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * State and rules of the fake Compute Engine: VPC firewall rules, networks and global
 * operations. Adapted from the verified fake in notes/cloud-fakes.md (Appendix C); what real GCE
 * does that the notes could not verify is marked "assumed".
 */
export class GceError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Rule {
  IPProtocol: string;
  ports?: string[];
}
export interface FirewallJson {
  kind: 'compute#firewall';
  id: string;
  creationTimestamp: string;
  name: string;
  description: string;
  network: string;
  priority: number;
  sourceRanges?: string[];
  sourceTags?: string[];
  targetTags?: string[];
  allowed?: Rule[];
  denied?: Rule[];
  direction: 'INGRESS' | 'EGRESS';
  disabled: boolean;
  logConfig: { enable: boolean };
  selfLink: string;
}
export interface OperationJson {
  kind: 'compute#operation';
  id: string;
  name: string;
  operationType: string;
  targetLink: string;
  targetId: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  user: string;
  progress: number;
  insertTime: string;
  startTime: string;
  endTime?: string;
  selfLink: string;
  error?: { errors: { code: string; message: string }[] };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}
export interface OpError {
  code: string;
  message: string;
  httpStatus: number;
}
interface OpState {
  op: OperationJson;
  project: string;
  key: string;
  apply: () => void;
  waiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

export const BASE = 'https://www.googleapis.com/compute/v1';
const NAME_RE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const now = () => new Date().toISOString();
const numericId = () => BigInt('0x' + randomBytes(8).toString('hex')).toString().slice(0, 19);
const bad = (field: string, msg: string) => new GceError(400, 'invalid', `Invalid value for field '${field}': ${msg}`);

function cidrFamily(c: string): 4 | 6 | 0 {
  const [ip = '', len, extra] = c.split('/');
  const fam = net.isIP(ip) as 0 | 4 | 6;
  if (!fam || extra !== undefined) return 0;
  if (len !== undefined && (!/^\d+$/.test(len) || Number(len) > (fam === 4 ? 32 : 128))) return 0;
  return fam;
}

export class ComputeModel {
  readonly firewalls = new Map<string, FirewallJson>(); // key: project/name
  readonly ops = new Map<string, OpState>();
  readonly pending = new Map<string, string>(); // firewall key -> op name while not DONE
  readonly byRequestId = new Map<string, OperationJson>();
  private readonly networks = new Set<string>();
  private readonly removedDefaults = new Set<string>();
  /** How long an operation stays RUNNING; writes to its rule meanwhile get 400 resourceNotReady. */
  opDurationMs = 0;
  /** Longest a `wait` call blocks before answering RUNNING (real GCE: about 2 minutes). */
  waitCapMs = 2_000;
  maxSourceRanges = 5000;
  /** Per-project FIREWALLS quota, reported inside the insert operation as QUOTA_EXCEEDED. */
  firewallQuota = 500;
  /** Each queued error ends the next operation DONE with `error` instead of applying it. */
  readonly nextOpErrors: OpError[] = [];
  /** Mutations actually applied (a deduplicated retry does not count). */
  applied = 0;

  hasNetwork(project: string, name: string): boolean {
    if (name === 'default') return !this.removedDefaults.has(project);
    return this.networks.has(`${project}/${name}`);
  }
  addNetwork(project: string, name: string): void {
    if (name === 'default') this.removedDefaults.delete(project);
    else this.networks.add(`${project}/${name}`);
  }
  removeNetwork(project: string, name: string): void {
    if (name === 'default') this.removedDefaults.add(project);
    else this.networks.delete(`${project}/${name}`);
  }

  validate(project: string, b: Record<string, unknown> | undefined, prev: FirewallJson | undefined): FirewallJson {
    if (!b || typeof b.name !== 'string' || !NAME_RE.test(b.name)) {
      throw bad('resource.name', `'${String(b?.name)}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    }
    const direction = (b.direction as string | undefined) ?? 'INGRESS';
    if (direction !== 'INGRESS' && direction !== 'EGRESS') throw bad('resource.direction', `'${direction}'.`);
    const priority = (b.priority as number | undefined) ?? 1000;
    if (!Number.isInteger(priority) || priority < 0 || priority > 65535) {
      throw bad('resource.priority', `'${priority}'. Must be greater than or equal to 0 and less than or equal to 65535`);
    }
    const allowed = (b.allowed as Rule[] | undefined)?.length ? (b.allowed as Rule[]) : undefined;
    const denied = (b.denied as Rule[] | undefined)?.length ? (b.denied as Rule[]) : undefined;
    if (!!allowed === !!denied) throw bad('resource', 'exactly one of allowed or denied must be specified.');
    const ranges = (b.sourceRanges as string[] | undefined) ?? [];
    const fams = new Set<number>();
    ranges.forEach((r, i) => {
      const f = cidrFamily(r);
      if (!f) throw bad(`resource.sourceRanges[${i}]`, `'${r}'. Must be a CIDR address range that is contained in 0.0.0.0/0 or ::/0.`);
      fams.add(f);
    });
    if (fams.size > 1) throw bad('resource.sourceRanges', 'A firewall rule can contain either IPv4 or IPv6 ranges, but not both.');
    if (ranges.length > this.maxSourceRanges) {
      throw bad('resource.sourceRanges', `too many source ranges (${ranges.length} > ${this.maxSourceRanges}).`);
    }
    const sourceTags = b.sourceTags as string[] | undefined;
    // Real GCE opens an ingress rule without any source to 0.0.0.0/0; the fake refuses it to catch that bug.
    if (direction === 'INGRESS' && !ranges.length && !sourceTags?.length) {
      throw bad('resource.sourceRanges', 'fake requires an explicit source (real GCE defaults an ingress rule without source to 0.0.0.0/0)');
    }
    let network = (b.network as string | undefined) ?? 'global/networks/default';
    if (!network.startsWith('https://')) network = `${BASE}/projects/${project}/${network.replace(/^projects\/[^/]+\//, '')}`;
    const netName = network.split('/').pop()!;
    if (!this.hasNetwork(project, netName)) {
      throw new GceError(404, 'notFound', `The resource 'projects/${project}/global/networks/${netName}' was not found`);
    }
    return {
      kind: 'compute#firewall',
      id: prev?.id ?? numericId(),
      creationTimestamp: prev?.creationTimestamp ?? now(),
      name: b.name,
      description: (b.description as string | undefined) ?? '',
      network,
      priority,
      sourceRanges: ranges.length ? ranges : undefined,
      sourceTags,
      targetTags: b.targetTags as string[] | undefined,
      allowed,
      denied,
      direction,
      disabled: (b.disabled as boolean | undefined) ?? false,
      logConfig: { enable: (b.logConfig as { enable?: boolean } | undefined)?.enable ?? false },
      selfLink: `${BASE}/projects/${project}/global/firewalls/${b.name}`,
    };
  }

  /** Inserts now (seeding helpers) — no operation, no checks beyond validation. */
  put(project: string, fw: FirewallJson): void {
    this.firewalls.set(`${project}/${fw.name}`, fw);
  }

  startOp(project: string, type: string, fw: FirewallJson, requestId: string | undefined, apply: () => void, durationMs = this.opDurationMs): OperationJson {
    const name = `operation-${Date.now()}-${randomBytes(6).toString('hex')}-${randomBytes(4).toString('hex')}`;
    const op: OperationJson = {
      kind: 'compute#operation',
      id: numericId(),
      name,
      operationType: type,
      targetLink: fw.selfLink,
      targetId: fw.id,
      status: 'RUNNING',
      user: 'svc@fake.iam.gserviceaccount.com',
      progress: 0,
      insertTime: now(),
      startTime: now(),
      selfLink: `${BASE}/projects/${project}/global/operations/${name}`,
    };
    const err = this.nextOpErrors.shift();
    const key = `${project}/${fw.name}`;
    const failWith = (e: OpError) => () => {
      op.error = { errors: [{ code: e.code, message: e.message }] };
      op.httpErrorStatusCode = e.httpStatus;
      op.httpErrorMessage = e.httpStatus === 403 ? 'FORBIDDEN' : 'BAD REQUEST';
    };
    const overQuota =
      type === 'insert' && [...this.firewalls.keys()].filter((k) => k.startsWith(`${project}/`)).length >= this.firewallQuota;
    const quotaError = { code: 'QUOTA_EXCEEDED', message: `Quota 'FIREWALLS' exceeded.  Limit: ${this.firewallQuota}.0 globally.`, httpStatus: 403 };
    const state: OpState = {
      op,
      project,
      key,
      waiters: [],
      apply: err ? failWith(err) : overQuota ? failWith(quotaError) : apply,
    };
    this.pending.set(key, name);
    this.ops.set(name, state);
    if (requestId) this.byRequestId.set(`${project}/${requestId}`, op);
    state.timer = setTimeout(() => this.complete(state), durationMs);
    state.timer.unref();
    return { ...op };
  }

  private complete(s: OpState): void {
    if (s.op.status === 'DONE') return;
    s.apply();
    if (!s.op.error) this.applied += 1;
    Object.assign(s.op, { status: 'DONE', progress: 100, endTime: now() });
    if (this.pending.get(s.key) === s.op.name) this.pending.delete(s.key);
    for (const w of s.waiters.splice(0)) w();
  }

  /** Blocks like the real `wait`: until the operation is DONE or `waitCapMs` has passed. */
  async wait(name: string): Promise<OperationJson> {
    const s = this.ops.get(name)!;
    if (s.op.status !== 'DONE') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.waitCapMs);
        t.unref();
        s.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return { ...s.op };
  }

  /** Stops timers and releases blocked waits (server shutdown). */
  shutdown(): void {
    for (const s of this.ops.values()) {
      clearTimeout(s.timer);
      for (const w of s.waiters.splice(0)) w();
    }
  }
}
