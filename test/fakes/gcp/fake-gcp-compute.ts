import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BASE, ComputeModel, GceError, type FirewallJson, type OpError } from './compute-model.ts';
import { FakeOAuth } from './fake-oauth.ts';

/**
 * Compute Engine REST emulator on 127.0.0.1 for the real @google-cloud/compute clients (REST
 * "fallback" mode): global firewalls, global operations, networks.get, plus Google's OAuth token
 * endpoint at /token. Faults: throttling, 5xx, lost responses, hung requests, latency.
 */
export type MethodName =
  | 'firewalls.insert'
  | 'firewalls.get'
  | 'firewalls.list'
  | 'firewalls.patch'
  | 'firewalls.update'
  | 'firewalls.delete'
  | 'globalOperations.get'
  | 'globalOperations.wait'
  | 'networks.get'
  | 'oauth.token';

const MUTATIONS: MethodName[] = ['firewalls.insert', 'firewalls.patch', 'firewalls.update', 'firewalls.delete'];
const PERMISSIONS: Record<MethodName, string[]> = {
  'firewalls.insert': ['compute.firewalls.create', 'compute.networks.updatePolicy'],
  'firewalls.patch': ['compute.firewalls.update', 'compute.networks.updatePolicy'],
  'firewalls.update': ['compute.firewalls.update', 'compute.networks.updatePolicy'],
  'firewalls.delete': ['compute.firewalls.delete', 'compute.networks.updatePolicy'],
  'firewalls.get': ['compute.firewalls.get'],
  'firewalls.list': ['compute.firewalls.list'],
  'globalOperations.get': ['compute.globalOperations.get'],
  'globalOperations.wait': ['compute.globalOperations.get'],
  'networks.get': ['compute.networks.get'],
  'oauth.token': [],
};

/** `on`: which methods a fault hits; 'mutations' = insert/patch/delete; default every compute method. */
export type FaultTarget = MethodName | 'mutations';
interface Fault {
  kind: 'error' | 'hang' | 'lose-response';
  on: FaultTarget[] | undefined;
  times: number;
  status?: number;
  reason?: string;
  message?: string;
}
export interface RecordedRequest {
  method: MethodName;
  requestId: string | undefined;
  body: unknown;
  principal: string | undefined;
}

export interface FakeGcp {
  endpoint: string;
  tokenUri: string;
  model: ComputeModel;
  oauth: FakeOAuth;
  /** Requests per method, counted as they arrive (faulted ones too). */
  calls: Record<MethodName, number>;
  /** Recent requests in arrival order (the oldest are dropped past 10,000). */
  requests: RecordedRequest[];
  /** Added before every answer. */
  latencyMs: number;
  firewall(project: string, name: string): FirewallJson | undefined;
  firewalls(project: string): FirewallJson[];
  /** A rule that is not ours (or any rule), placed directly. */
  seedFirewall(project: string, fw: Partial<FirewallJson> & { name: string }): FirewallJson;
  /** Someone edits a rule in the console: the given fields change at once (undefined clears one), no operation. */
  editFirewall(project: string, name: string, change: Partial<FirewallJson>): FirewallJson;
  /** Keeps `name` busy with a running operation for `ms`: writes get 400 resourceNotReady. */
  busy(project: string, name: string, ms: number): void;
  /** Only these permissions for `email` (default: everything). */
  setPermissions(email: string, permissions: string[] | 'all'): void;
  inject(f: { status: number; reason: string; message?: string; times?: number; on?: FaultTarget | FaultTarget[] }): void;
  throttle(times: number, on?: FaultTarget | FaultTarget[]): void;
  serverErrors(times: number, on?: FaultTarget | FaultTarget[]): void;
  /** Applies the request, then answers 503 (`mode: '503'`) or drops the socket: the client cannot know it worked. */
  loseResponses(times: number, on?: FaultTarget | FaultTarget[], mode?: '503' | 'reset'): void;
  hang(times: number, on?: FaultTarget | FaultTarget[]): void;
  failNextOperation(e: OpError): void;
  resetFaults(): void;
  resetCounters(): void;
  close(): Promise<void>;
}

export async function startFakeGcp(opts: { latencyMs?: number } = {}): Promise<FakeGcp> {
  const model = new ComputeModel();
  const oauth = new FakeOAuth();
  const faults: Fault[] = [];
  const perms = new Map<string, Set<string> | 'all'>();
  const calls = Object.fromEntries(Object.keys(PERMISSIONS).map((k) => [k, 0])) as Record<MethodName, number>;
  const requests: RecordedRequest[] = [];
  const add = (f: Fault) => void (f.times > 0 && faults.push(f));
  const asList = (on: FaultTarget | FaultTarget[] | undefined) => (on === undefined ? undefined : Array.isArray(on) ? on : [on]);

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function takeFault(method: MethodName): Fault | undefined {
    const i = faults.findIndex((f) => !f.on || f.on.some((t) => t === method || (t === 'mutations' && MUTATIONS.includes(method))));
    if (i < 0 || method === 'oauth.token') return undefined;
    const f = faults[i]!;
    if (--f.times <= 0) faults.splice(i, 1);
    return f;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', endpoint);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    if (fake.latencyMs > 0) await sleep(fake.latencyMs);
    if (url.pathname === '/token' && req.method === 'POST') {
      calls['oauth.token'] += 1;
      const r = oauth.handleToken(new URLSearchParams(raw));
      return send(r.status, r.body);
    }
    let fault: Fault | undefined;
    try {
      const route = routeOf(req.method ?? 'GET', url.pathname);
      calls[route.method] += 1;
      // The SDK sends the 2-byte JSON string "" as the body of `wait`: not always an object.
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      const principal = oauth.principal(req.headers.authorization);
      requests.push({ method: route.method, requestId: url.searchParams.get('requestId') ?? undefined, body, principal });
      if (requests.length > 10_000) requests.splice(0, 5_000); // long benchmark runs: keep the recent ones
      if (!principal) {
        throw new GceError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      checkPermission(principal, route);
      fault = takeFault(route.method);
      if (fault?.kind === 'hang') return; // never answered; closeAllConnections() ends it
      if (fault?.kind === 'error') throw new GceError(fault.status!, fault.reason!, fault.message ?? `${fault.reason} (injected)`);
      const result = await dispatch(route, url, body as Record<string, unknown> | undefined);
      if (fault?.kind === 'lose-response') {
        if (fault.reason === 'reset') return void res.socket?.destroy();
        throw new GceError(503, 'backendError', 'Backend Error');
      }
      return send(200, result);
    } catch (e) {
      const ge = e instanceof GceError ? e : new GceError(500, 'backendError', String(e));
      send(ge.status, { error: { code: ge.status, message: ge.message, errors: [{ message: ge.message, domain: 'global', reason: ge.reason }] } });
    }
  }

  function checkPermission(principal: string, route: Route): void {
    const granted = perms.get(principal) ?? 'all';
    if (granted === 'all') return;
    for (const p of PERMISSIONS[route.method]) {
      if (granted.has(p)) continue;
      const on = p.startsWith('compute.networks.')
        ? `projects/${route.project}/global/networks/${route.name ?? 'default'}`
        : `projects/${route.project}/global/${route.method.startsWith('globalOperations') ? 'operations' : route.method.split('.')[0]}/${route.name ?? ''}`;
      throw new GceError(403, 'forbidden', `Required '${p}' permission for '${on.replace(/\/$/, '')}'`);
    }
  }

  async function dispatch(route: Route, url: URL, body: Record<string, unknown> | undefined): Promise<unknown> {
    const { project, name } = route;
    if (route.method === 'networks.get') {
      if (!model.hasNetwork(project, name!)) throw new GceError(404, 'notFound', `The resource 'projects/${project}/global/networks/${name}' was not found`);
      return { kind: 'compute#network', name, selfLink: `${BASE}/projects/${project}/global/networks/${name}`, autoCreateSubnetworks: true };
    }
    if (route.method === 'globalOperations.get' || route.method === 'globalOperations.wait') {
      const o = model.ops.get(name!);
      if (!o || o.project !== project) throw new GceError(404, 'notFound', `The resource 'projects/${project}/global/operations/${name}' was not found`);
      return route.method === 'globalOperations.wait' ? model.wait(name!) : { ...o.op };
    }
    const requestId = url.searchParams.get('requestId') ?? undefined;
    const dedupe = requestId ? model.byRequestId.get(`${project}/${requestId}`) : undefined;
    if (dedupe) return { ...dedupe }; // same requestId: the original operation, nothing applied again
    const key = `${project}/${name ?? (body?.name as string | undefined)}`;
    const existing = model.firewalls.get(key);
    const notFound = () => new GceError(404, 'notFound', `The resource 'projects/${project}/global/firewalls/${name}' was not found`);
    if (route.method === 'firewalls.get') {
      if (!existing) throw notFound();
      return existing;
    }
    if (route.method === 'firewalls.list') {
      const all = [...model.firewalls.entries()].filter(([k]) => k.startsWith(`${project}/`)).map(([, v]) => v);
      const max = Number(url.searchParams.get('maxResults') ?? 500);
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const next = start + max < all.length ? { nextPageToken: String(start + max) } : {};
      return { kind: 'compute#firewallList', items: all.slice(start, start + max), selfLink: `${BASE}/projects/${project}/global/firewalls`, ...next };
    }
    if (route.method === 'firewalls.insert') {
      if (existing || model.pending.has(key)) throw new GceError(409, 'alreadyExists', `The resource 'projects/${project}/global/firewalls/${String(body?.name)}' already exists`);
      const fw = model.validate(project, body, undefined);
      return model.startOp(project, 'insert', fw, requestId, () => model.firewalls.set(key, fw));
    }
    if (model.pending.has(key)) throw new GceError(400, 'resourceNotReady', `The resource 'projects/${project}/global/firewalls/${name}' is not ready`);
    if (!existing) throw notFound();
    if (route.method === 'firewalls.patch') {
      // PATCH merges top-level fields; a repeated field that is present replaces the whole list.
      const merged = model.validate(project, { ...existing, ...body, name: existing.name }, existing);
      return model.startOp(project, 'patch', merged, requestId, () => model.firewalls.set(key, merged));
    }
    if (route.method === 'firewalls.update') {
      // PUT replaces the rule: every field not in the body is cleared. The network cannot change (assumed message).
      const replaced = model.validate(project, { ...body, name: existing.name }, existing);
      if (replaced.network !== existing.network) throw new GceError(400, 'invalid', "Invalid value for field 'resource.network': the network of a firewall rule cannot be changed.");
      return model.startOp(project, 'update', replaced, requestId, () => model.firewalls.set(key, replaced));
    }
    return model.startOp(project, 'delete', existing, requestId, () => model.firewalls.delete(key));
  }

  const fake: FakeGcp = {
    endpoint,
    tokenUri: `${endpoint}/token`,
    model,
    oauth,
    calls,
    requests,
    latencyMs: opts.latencyMs ?? 0,
    firewall: (project, name) => model.firewalls.get(`${project}/${name}`),
    firewalls: (project) => [...model.firewalls.entries()].filter(([k]) => k.startsWith(`${project}/`)).map(([, v]) => v),
    seedFirewall(project, fw) {
      const full = model.validate(project, { direction: 'INGRESS', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['192.0.2.0/24'], ...fw }, undefined);
      model.put(project, full);
      return full;
    },
    editFirewall(project, name, change) {
      const existing = model.firewalls.get(`${project}/${name}`);
      if (!existing) throw new Error(`fake has no firewall ${project}/${name}`);
      const edited = model.validate(project, { ...existing, ...change, name }, existing);
      model.put(project, edited);
      return edited;
    },
    busy(project, name, ms) {
      const fw = model.firewalls.get(`${project}/${name}`) ?? ({ name, id: '0', selfLink: `${BASE}/projects/${project}/global/firewalls/${name}` } as FirewallJson);
      model.startOp(project, 'patch', fw, undefined, () => {}, ms);
    },
    setPermissions: (email, p) => void perms.set(email, p === 'all' ? 'all' : new Set(p)),
    inject: (f) => add({ kind: 'error', on: asList(f.on), times: f.times ?? 1, status: f.status, reason: f.reason, message: f.message }),
    throttle: (times, on) => fake.inject({ status: 429, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', times, on }),
    serverErrors: (times, on) => fake.inject({ status: 503, reason: 'backendError', message: 'Backend Error', times, on }),
    loseResponses: (times, on = 'mutations', mode = '503') => add({ kind: 'lose-response', on: asList(on), times, reason: mode }),
    hang: (times, on) => add({ kind: 'hang', on: asList(on), times }),
    failNextOperation: (e) => void model.nextOpErrors.push(e),
    resetFaults() {
      faults.splice(0);
      model.nextOpErrors.splice(0);
    },
    resetCounters() {
      for (const k of Object.keys(calls) as MethodName[]) calls[k] = 0;
      requests.splice(0);
    },
    async close() {
      model.shutdown();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return fake;
}

interface Route {
  method: MethodName;
  project: string;
  name: string | undefined;
}

function routeOf(verb: string, path: string): Route {
  let m = /^\/compute\/v1\/projects\/([^/]+)\/global\/operations\/([^/]+?)(\/wait)?$/.exec(path);
  if (m && ((m[3] && verb === 'POST') || (!m[3] && verb === 'GET'))) {
    return { method: m[3] ? 'globalOperations.wait' : 'globalOperations.get', project: m[1]!, name: m[2] };
  }
  m = /^\/compute\/v1\/projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(path);
  if (m && verb === 'GET') return { method: 'networks.get', project: m[1]!, name: m[2] };
  m = /^\/compute\/v1\/projects\/([^/]+)\/global\/firewalls(?:\/([^/]+))?$/.exec(path);
  const byVerb: Record<string, MethodName> = m?.[2]
    ? { GET: 'firewalls.get', PATCH: 'firewalls.patch', PUT: 'firewalls.update', DELETE: 'firewalls.delete' }
    : { GET: 'firewalls.list', POST: 'firewalls.insert' };
  const method = m ? byVerb[verb] : undefined;
  if (!m || !method) throw new GceError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
  return { method, project: m[1]!, name: m[2] };
}
