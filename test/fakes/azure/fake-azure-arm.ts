import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArmError, type RuleProps } from './arm-rules.ts';
import { FakeAad, type FakePrincipal } from './fake-aad.ts';
import { classify, NSG_ID, permissionsOf, safeJson, type Route } from './arm-routes.ts';
import { NsgStore, nsgId, nsgJson, ruleJson, type Nsg } from './nsg-store.ts';
import { createTestCertificate } from './test-cert.ts';

/**
 * A loopback Azure Resource Manager (Microsoft.Network NSG security rules + async operations)
 * and Entra ID token endpoint, served over HTTPS with a per-process test certificate. The real
 * `@azure/arm-network` client and `@azure/identity` ClientSecretCredential talk to it unchanged.
 */

/** A scripted failure: the next `times` matching calls answer `status`/`code`, or hang. */
export interface Fault {
  status: number;
  code: string;
  message?: string | undefined;
  times: number;
  /** Call names it applies to (see `calls`); every ARM call when unset. */
  calls?: string[] | undefined;
  retryAfterSeconds?: number | undefined;
  hang?: boolean | undefined;
}

const MUTATING = ['rule.put', 'rule.delete'];
const API_VERSION = '2026-01-01';

export class FakeAzure {
  readonly store = new NsgStore();
  readonly aad = new FakeAad();
  /** Requests per call name (`nsg.get`, `rule.put`, `rule.delete`, `operation.get`, `aad.token` …), faults included. */
  readonly calls: Record<string, number> = {};
  /** Every ARM/AAD request in arrival order, for assertions on what was sent. */
  readonly log: { call: string; method: string; path: string; body?: unknown }[] = [];
  faults: Fault[] = [];
  latencyMs: number;
  /** Retry-After seconds on InProgress polls; real NRP sends 10. Unset by default so tests decide the interval. */
  retryAfterSeconds: number | undefined;
  endpoint = '';
  readonly ca: string;
  private readonly server: https.Server;

  constructor(opts: { latencyMs?: number } = {}) {
    const { key, cert } = createTestCertificate();
    this.ca = cert;
    this.latencyMs = opts.latencyMs ?? 0;
    this.server = https.createServer({ key, cert }, (req, res) => void this.handle(req, res));
  }

  /** Authority host for `@azure/identity` (tenants live under it). */
  get authorityHost(): string {
    return this.endpoint;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state helpers ---------------------------------------------------------------------

  /** Creates an NSG and returns its ARM id. */
  addNsg(opts: { subscriptionId?: string; resourceGroup?: string; name?: string; location?: string } = {}): string {
    const nsg = this.store.add(opts.subscriptionId ?? randomUUID(), opts.resourceGroup ?? 'rg-test', opts.name ?? `nsg-${randomUUID().slice(0, 8)}`, opts.location);
    return nsgId(nsg);
  }

  /** A service principal; `secretJson` is what a credential reference resolves to. */
  addPrincipal(p: Partial<FakePrincipal> = {}): FakePrincipal & { secretJson: string } {
    const principal = this.aad.addPrincipal(p);
    const { tenantId, clientId, clientSecret } = principal;
    return { ...principal, secretJson: JSON.stringify({ tenantId, clientId, clientSecret }) };
  }

  /** Puts a rule into an NSG directly (no operation, no limit checks): someone else's rule. */
  seedRule(id: string, name: string, props: Partial<RuleProps> & { priority: number }): void {
    this.store.seed(this.nsg(id), name, {
      protocol: 'Tcp', access: 'Allow', direction: 'Inbound', sourcePortRange: '*', destinationPortRange: '443',
      destinationAddressPrefix: '*', ...(props.sourceAddressPrefixes ? {} : { sourceAddressPrefix: '10.0.0.0/8' }), ...props,
    });
  }

  /** The NSG's rules as ARM would return them, in NSG order. */
  rules(id: string): { name: string; etag: string; properties: Required<Pick<RuleProps, 'priority'>> & RuleProps }[] {
    const nsg = this.nsg(id);
    return [...nsg.rules.values()].map((r) => ({ name: r.name, etag: r.etag, properties: { ...r.properties } }));
  }

  rule(id: string, name: string): RuleProps | undefined {
    return this.nsg(id).rules.get(name.toLowerCase())?.properties;
  }

  /** Someone deletes a rule in the portal: gone at once, no operation. */
  removeRule(id: string, name: string): void {
    if (!this.nsg(id).rules.delete(name.toLowerCase())) throw new Error(`fake NSG ${id} has no rule ${name}`);
  }

  /** Someone edits a rule in the portal: the given properties change at once (set one to undefined to clear it). */
  editRule(id: string, name: string, change: Partial<RuleProps>): void {
    const rule = this.nsg(id).rules.get(name.toLowerCase());
    if (!rule) throw new Error(`fake NSG ${id} has no rule ${name}`);
    rule.properties = { ...rule.properties, ...change };
    rule.etag = `W/"${randomUUID()}"`;
  }

  /** Keeps the NSG busy with someone else's operation (writes get AnotherOperationInProgress) until released. */
  holdOperation(id: string): () => void {
    return this.store.hold(this.nsg(id));
  }

  set pollsBeforeDone(n: number) {
    this.store.pollsBeforeDone = n;
  }

  /** The next async operation ends Failed with this ARM error and its change is rolled back. */
  failNextOperation(error: { code: string; message: string }): void {
    this.store.nextOperationError = error;
  }

  // ---- faults ----------------------------------------------------------------------------

  inject(fault: Partial<Fault> & { status: number; code: string }): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** 429 on the next `times` writes (or `calls`), with an optional Retry-After. */
  throttle(times: number, opts: { retryAfterSeconds?: number; calls?: string[] } = {}): void {
    this.inject({ status: 429, code: 'TooManyRequests', message: 'The request is being throttled.', times, calls: opts.calls ?? MUTATING, retryAfterSeconds: opts.retryAfterSeconds });
  }

  /** 5xx on the next `times` calls. */
  failNext(times: number, opts: { status?: number; code?: string; calls?: string[] } = {}): void {
    this.inject({ status: opts.status ?? 503, code: opts.code ?? 'ServiceUnavailable', message: 'The service is temporarily unavailable.', times, calls: opts.calls });
  }

  /** The next `times` matching calls never get an answer. */
  hang(times: number, calls?: string[]): void {
    this.inject({ status: 0, code: 'hang', times, calls, hang: true });
  }

  clearFaults(): void {
    this.faults = [];
  }

  resetCalls(): void {
    for (const k of Object.keys(this.calls)) delete this.calls[k];
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private nsg(id: string): Nsg {
    const m = NSG_ID.exec(id);
    const nsg = m && this.store.find(m[1]!, m[2]!, m[3]!);
    if (!nsg) throw new Error(`fake has no NSG ${id}`);
    return nsg;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', this.endpoint);
    const method = req.method ?? 'GET';
    const route = classify(method, url.pathname);
    this.calls[route.call] = (this.calls[route.call] ?? 0) + 1;
    this.log.push({ call: route.call, method, path: url.pathname, body: safeJson(raw) });
    const requestId = randomUUID();
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, {
        'x-ms-request-id': requestId,
        'x-ms-correlation-request-id': requestId,
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...headers,
      });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const aad = this.aad.handle(method, url.pathname, raw, this.endpoint);
      if (aad) return send(aad.reply.status, aad.reply.body);
      const principal = this.authenticate(req.headers.authorization);
      if (!url.searchParams.get('api-version')) {
        throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }
      const fault = this.takeFault(route.call);
      if (fault?.hang) return; // never answered; close() drops the socket
      if (fault) {
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
        throw new ArmError(fault.status, fault.code, fault.message ?? `${fault.code} (injected)`, headers);
      }
      this.store.settleDue();
      this.authorize(principal, route);
      const reply = this.route(method, route, raw, principal);
      send(reply.status, reply.body, reply.headers);
    } catch (err) {
      const e = err instanceof ArmError ? err : new ArmError(500, 'InternalServerError', String(err));
      send(e.status, { error: { code: e.code, message: e.message, details: [] } }, e.headers);
    }
  }

  private authenticate(header: string | undefined): FakePrincipal {
    if (!header) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    const principal = this.aad.principalFor(header.replace(/^Bearer /, ''));
    if (!principal) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    return principal;
  }

  private authorize(p: FakePrincipal, route: Route): void {
    if (!route.action) return;
    const allowed = p.role === 'contributor' || (p.role === 'reader' && route.action.endsWith('/read'));
    if (allowed) return;
    const scope = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.Network/networkSecurityGroups/${route.nsg}`;
    throw new ArmError(403, 'AuthorizationFailed',
      `The client '${p.clientId}' with object id '${p.clientId}' does not have authorization to perform action '${route.action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
  }

  private takeFault(call: string): Fault | undefined {
    if (call.startsWith('aad.')) return undefined;
    const i = this.faults.findIndex((f) => !f.calls || f.calls.includes(call));
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    if (--fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  private route(method: string, route: Route, raw: string, principal: FakePrincipal): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (route.call === 'operation.get') {
      const op = this.store.poll(route.opId!);
      const retry: Record<string, string> = op.status === 'InProgress' && this.retryAfterSeconds !== undefined ? { 'retry-after': String(this.retryAfterSeconds) } : {};
      if (route.opKind === 'operationresults') return { status: op.status === 'InProgress' ? 202 : 204, headers: retry };
      const body = { name: op.id, status: op.status, startTime: op.start, ...(op.status !== 'InProgress' ? { endTime: new Date().toISOString() } : {}), ...(op.error && op.status === 'Failed' ? { error: { ...op.error, details: [] } } : {}) };
      return { status: 200, body, headers: retry };
    }
    if (route.call === 'unknown') throw new ArmError(404, 'InvalidResourceType', 'The resource type could not be found in the namespace.');
    const nsg = this.store.find(route.sub!, route.rg!, route.nsg!);
    if (!nsg) {
      throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/networkSecurityGroups/${route.nsg}' under resource group '${route.rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    switch (route.call) {
      case 'nsg.get':
        return { status: 200, body: nsgJson(nsg) };
      case 'permissions.get':
        return { status: 200, body: { value: permissionsOf(principal) } };
      case 'rule.list':
        return { status: 200, body: { value: [...nsg.rules.values()].map((r) => ruleJson(nsg, r)) } };
      case 'rule.get': {
        const rule = nsg.rules.get(route.rule!.toLowerCase());
        if (!rule) throw new ArmError(404, 'NotFound', `Resource ${nsgId(nsg)}/securityRules/${route.rule} not found.`);
        return { status: 200, body: ruleJson(nsg, rule) };
      }
      case 'rule.put': {
        const body = safeJson(raw) as { properties?: unknown } | undefined;
        const { rule, created, op } = this.store.put(nsg, route.rule!, body?.properties);
        return { status: created ? 201 : 200, body: ruleJson(nsg, rule), headers: this.lroHeaders(nsg, op.id, false) };
      }
      case 'rule.delete': {
        const op = this.store.delete(nsg, route.rule!);
        return op ? { status: 202, headers: this.lroHeaders(nsg, op.id, true) } : { status: 204 };
      }
    }
    throw new ArmError(405, 'MethodNotAllowed', `Method ${method} not allowed`);
  }

  private lroHeaders(nsg: Nsg, opId: string, withLocation: boolean): Record<string, string> {
    const base = `${this.endpoint}/subscriptions/${nsg.subscriptionId}/providers/Microsoft.Network/locations/${nsg.location}`;
    const h: Record<string, string> = { 'azure-asyncoperation': `${base}/operations/${opId}?api-version=${API_VERSION}` };
    if (withLocation) h.location = `${base}/operationResults/${opId}?api-version=${API_VERSION}`;
    if (this.retryAfterSeconds !== undefined) h['retry-after'] = String(this.retryAfterSeconds);
    return h;
  }
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeAzure(opts: { latencyMs?: number } = {}): Promise<FakeAzure> {
  return new FakeAzure(opts).listen();
}
