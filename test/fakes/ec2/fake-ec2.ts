/**
 * A stateful EC2 Query-API emulator on 127.0.0.1 for the real `@aws-sdk/client-ec2` (and the STS
 * client used for assume-role): security groups with tagged rules, managed prefix lists with
 * versions, the real error codes and XML shapes, DryRun, per-key permissions, fault injection
 * (throttling, 5xx, latency, hung requests) and a per-action call counter for the benchmark.
 */
import http from 'node:http';
import type net from 'node:net';
import { randomUUID } from 'node:crypto';
import { EC2_NS, Ec2Error, ec2ErrorXml, genId, OWNER, stsErrorXml, type Q } from './query.ts';
import { createState, type PrefixList, type SecurityGroup, type SgRule, type Tag } from './state.ts';
import { authorizeIngress, describeGroups, describeRules, revokeIngress } from './security-groups.ts';
import { describePrefixLists, getPrefixListEntries, modifyPrefixList } from './prefix-lists.ts';
import { assumeRole, type AssumeRoleCall, type FakeRole, type IssuedSession } from './sts.ts';

export type { PrefixList, SecurityGroup, SgRule, Tag };

export const FAKE_ACCESS_KEY = 'AKIDFAKE';

interface Fault {
  action?: string | undefined;
  hang: boolean;
  code: string;
  message?: string | undefined;
  status: number;
  times: number;
}

const EC2_ACTIONS: Record<string, (s: ReturnType<typeof createState>, q: Q) => string> = {
  AuthorizeSecurityGroupIngress: authorizeIngress,
  RevokeSecurityGroupIngress: revokeIngress,
  DescribeSecurityGroups: describeGroups,
  DescribeSecurityGroupRules: describeRules,
  ModifyManagedPrefixList: modifyPrefixList,
  GetManagedPrefixListEntries: getPrefixListEntries,
  DescribeManagedPrefixLists: describePrefixLists,
};

export interface ForeignRule {
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | '-1';
  from?: number;
  to?: number;
  cidr?: string;
  prefixListId?: string;
  description?: string;
  tags?: Tag[];
}

export class FakeEc2 {
  readonly state = createState();
  endpoint = '';
  /** Added to every answer (ms). */
  latencyMs: number;
  /** Requests received per action, faulted ones included. */
  calls: Record<string, number> = {};
  requests: { action: string; params: Q; accessKeyId: string | undefined }[] = [];
  readonly roles = new Map<string, FakeRole>();
  readonly assumeRoleCalls: AssumeRoleCall[] = [];
  private readonly sessions = new Map<string, IssuedSession>();
  private readonly accessKeys = new Set([FAKE_ACCESS_KEY]);
  private readonly denied = new Map<string, Set<string>>();
  private faults: Fault[] = [];
  private hooks: { action: string; fn: () => void }[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(opts: { latencyMs?: number } = {}) {
    this.latencyMs = opts.latencyMs ?? 0;
  }

  listen(): Promise<string> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.endpoint = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
        resolve(this.endpoint);
      }),
    );
  }

  close(): Promise<void> {
    // SDK clients keep connections alive, and hung requests never end on their own.
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ---- seeding and reading state ----

  set maxRulesPerGroup(n: number) {
    this.state.maxRulesPerGroup = n;
  }

  set prefixListSettleMs(ms: number) {
    this.state.prefixListSettleMs = ms;
  }

  set prefixListSettleReads(n: number) {
    this.state.prefixListSettleReads = n;
  }

  /** A security group with AWS's default allow-all egress rule (egress never counts against inbound quota). */
  addGroup(g: Partial<SecurityGroup> = {}): SecurityGroup {
    const name = `sg-${this.state.groups.size + 1}`;
    const sg: SecurityGroup = { groupId: genId('sg'), groupName: name, description: 'test', vpcId: 'vpc-0abc', ownerId: OWNER, tags: [], ...g };
    this.state.groups.set(sg.groupId, sg);
    const egress = { isEgress: true, ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '0.0.0.0/0', tags: [] };
    this.state.rules.push({ id: genId('sgr'), groupId: sg.groupId, ...egress });
    return sg;
  }

  /** An inbound rule someone else made (no EntryGuard marker unless `tags`/`description` say so). */
  addForeignRule(groupId: string, r: ForeignRule): SgRule {
    const all = r.protocol === '-1';
    const rule: SgRule = {
      id: genId('sgr'), groupId, isEgress: false, ipProtocol: r.protocol,
      fromPort: all ? -1 : (r.from ?? -1), toPort: all ? -1 : (r.to ?? r.from ?? -1),
      cidrIpv4: r.cidr && !r.cidr.includes(':') ? r.cidr : undefined,
      cidrIpv6: r.cidr?.includes(':') ? r.cidr : undefined,
      prefixListId: r.prefixListId, description: r.description, tags: r.tags ?? [],
    };
    this.state.rules.push(rule);
    return rule;
  }

  /** Inbound rules of a group, optionally only those tagged `key=value`. */
  inboundRules(groupId: string, tag?: Tag): SgRule[] {
    return this.state.rules.filter(
      (r) => r.groupId === groupId && !r.isEgress && (!tag || r.tags.some((t) => t.key === tag.key && t.value === tag.value)),
    );
  }

  removeRule(ruleId: string): void {
    this.state.rules = this.state.rules.filter((r) => r.id !== ruleId);
  }

  /** Edits a rule in place, as the console's "Edit inbound rules" (ModifySecurityGroupRules) does: same id, same tags. */
  editRule(ruleId: string, change: Partial<Pick<SgRule, 'ipProtocol' | 'fromPort' | 'toPort' | 'description'>>): void {
    const rule = this.state.rules.find((r) => r.id === ruleId);
    if (!rule) throw new Error(`no rule ${ruleId}`);
    Object.assign(rule, change);
  }

  addPrefixList(p: Partial<PrefixList> = {}): PrefixList {
    const pl: PrefixList = {
      id: genId('pl'), name: 'test-pl', addressFamily: 'IPv4', maxEntries: 10, version: 1, state: 'create-complete', entries: [], ownerId: OWNER,
      ...p,
    };
    this.state.prefixLists.set(pl.id, pl);
    return pl;
  }

  prefixList(id: string): PrefixList {
    const pl = this.state.prefixLists.get(id);
    if (!pl) throw new Error(`no prefix list ${id}`);
    return pl;
  }

  /** Someone else changes the list: a new version, as the console or Terraform would make it. */
  modifyPrefixListOutOfBand(id: string, change: { add?: { cidr: string; description?: string }[]; remove?: string[] }): void {
    const pl = this.prefixList(id);
    (pl.history ??= new Map()).set(pl.version, pl.entries);
    pl.entries = pl.entries.filter((e) => !change.remove?.includes(e.cidr)).concat(change.add ?? []);
    pl.version += 1;
  }

  // ---- identities and permissions ----

  addAccessKey(accessKeyId: string): void {
    this.accessKeys.add(accessKeyId);
  }

  /** Calls of these actions by `accessKeyId` get UnauthorizedOperation (also with DryRun). */
  denyActions(actions: string[], accessKeyId = FAKE_ACCESS_KEY): void {
    const set = this.denied.get(accessKeyId) ?? new Set<string>();
    for (const a of actions) set.add(a);
    this.denied.set(accessKeyId, set);
  }

  addRole(role: { arn: string; externalId?: string; trustedKeys?: string[]; deniedActions?: string[] }): void {
    this.roles.set(role.arn, { trustedKeys: [], deniedActions: [], ...role });
  }

  // ---- faults ----

  /** The next `times` requests (of `action`, or any) fail with `code`. */
  inject(f: { code: string; status?: number; message?: string; times?: number; action?: string }): void {
    this.faults.push({ hang: false, status: 400, times: 1, ...f });
  }

  throttle(times = 1, action?: string): void {
    this.inject({ code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.', times, action });
  }

  serverError(times = 1, action?: string, status = 500): void {
    const code = status === 503 ? 'Unavailable' : 'InternalError';
    this.inject({ code, status, message: 'An internal error has occurred', times, action });
  }

  /** The next `times` requests are read and never answered (until close()). */
  hang(times = 1, action?: string): void {
    this.faults.push({ hang: true, code: '', status: 0, times, action });
  }

  /** Runs `fn` just before the next request of `action` is processed (to stage a concurrent change). */
  beforeNext(action: string, fn: () => void): void {
    this.hooks.push({ action, fn });
  }

  clearFaults(): void {
    this.faults = [];
    this.hooks = [];
  }

  resetCalls(): void {
    this.calls = {};
    this.requests = [];
  }

  // ---- the protocol ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const q: Q = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const action = q.Action ?? '';
    const isSts = action === 'AssumeRole';
    const requestId = randomUUID();
    const auth = String(req.headers.authorization ?? '');
    const akid = /Credential=([^/]+)\//.exec(auth)?.[1];
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    this.requests.push({ action, params: q, accessKeyId: akid });
    const send = (status: number, xml: string) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    try {
      this.authenticate(req, akid);
      const fault = this.takeFault(action);
      if (fault?.hang) return;
      if (fault) throw new Ec2Error(fault.code, fault.message ?? `${fault.code} (injected)`, fault.status);
      const hook = this.hooks.findIndex((h) => h.action === action);
      if (hook >= 0) this.hooks.splice(hook, 1)[0]!.fn();
      if (isSts) return send(200, assumeRole(this.roles, this.sessions, this.assumeRoleCalls, q, akid!, requestId));
      const op = EC2_ACTIONS[action];
      if (!op) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (this.isDenied(akid!, action)) {
        const why = `User is not authorized to perform: ec2:${action}. Encoded authorization failure message: ${randomUUID()}`;
        throw new Ec2Error('UnauthorizedOperation', `You are not authorized to perform this operation. ${why}`, 403);
      }
      if (q.DryRun === 'true') throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      const body = op(this.state, q);
      send(200, `<${action}Response xmlns="${EC2_NS}"><requestId>${requestId}</requestId>${body}</${action}Response>`);
    } catch (e) {
      const err = e instanceof Ec2Error ? e : new Ec2Error('InternalError', 'An internal error has occurred', 500);
      if (!(e instanceof Ec2Error)) console.error(e);
      send(err.status, (isSts ? stsErrorXml : ec2ErrorXml)(err.code, err.message, requestId));
    }
  }

  /** Only the key id is checked (not the signature); temporary keys must carry their session token. */
  private authenticate(req: http.IncomingMessage, akid: string | undefined): void {
    const fail = () => new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    if (req.method !== 'POST' || !akid) throw fail();
    const session = this.sessions.get(akid);
    if (session) {
      if (req.headers['x-amz-security-token'] !== session.sessionToken) throw fail();
    } else if (!this.accessKeys.has(akid)) throw fail();
  }

  private isDenied(akid: string, action: string): boolean {
    const session = this.sessions.get(akid);
    if (session && this.roles.get(session.roleArn)?.deniedActions.includes(action)) return true;
    return this.denied.get(akid)?.has(action) ?? false;
  }

  private takeFault(action: string): Fault | undefined {
    const i = this.faults.findIndex((f) => !f.action || f.action === action);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.times <= 0) this.faults.splice(i, 1);
    return f;
  }
}

/** Starts a fake on 127.0.0.1 and an ephemeral port; `close()` it in afterAll. */
export async function startFakeEc2(opts: { latencyMs?: number } = {}): Promise<FakeEc2> {
  const fake = new FakeEc2(opts);
  await fake.listen();
  return fake;
}
