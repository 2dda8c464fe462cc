import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { sessions } from '../../src/db/schema/index.ts';
import { seedBenchOrg, type BenchUser } from '../bench/fixtures.ts';
import { startCloudLab, type CloudLab, type ResourceRow } from '../helpers/cloud-lab.ts';
import { spawnEntryGuard, waitUntil, type EntryGuardProcess } from '../helpers/entryguard-process.ts';
import { seedResource } from '../helpers/seed.ts';
import { readAllowlist, readCalls, slowAllowlistConfig } from '../helpers/slow-allowlist.ts';
import { freePort } from '../http/helpers.ts';
import { RemovalWatch } from './removal-watch.ts';

/**
 * The crash soak: real EntryGuard processes on one database, over the three cloud emulators and
 * a slow script firewall. Each round starts and stops sessions concurrently while one process is
 * killed (-9, sometimes SIGTERM) at a random moment, often while a provider call is in flight,
 * and restarted. At the end every session is stopped. It reports rules no live session wants
 * (LEAKS), live sessions' rules missing (MISSING), sessions that never settled (STUCK), and the
 * longest any rule outlived its session, counted from the restart when a kill delayed it.
 */
export interface SoakOptions {
  /** A database URL of its own (migrated by the processes on start). */
  databaseUrl: string;
  database: Database;
  rounds: number;
  /** Stop starting rounds after this long (the final stop still runs). */
  maxSeconds: number;
  people?: number;
  processes?: number;
  /** Latency of every emulator request, and the script firewall's delay: kills land inside calls. */
  cloudLatencyMs?: number;
  scriptDelaySeconds?: number;
  log?: (line: string) => void;
  seed?: number;
  /** Where to keep every process's output (one file per pid), to see why a target was missed. */
  logDir?: string | undefined;
}

export interface SoakResult {
  rounds: number;
  kills: { sigkill: number; sigterm: number; inFlight: number };
  sessions: number;
  leaks: string[];
  missing: string[];
  stuck: string[];
  /** Longest time (ms) a rule stayed in a firewall after its last session ended (or after the restart that freed it). */
  maxOutliveMs: number;
  /** Which rule that was, and the kills and restarts around it. */
  longestOutlive: string;
  seconds: number;
}

const SETTLE_MS = 60_000;

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const random = mulberry32(opts.seed ?? Date.now());
  const started = Date.now();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-soak-'));
  const lab = await startCloudLab({ latencyMs: opts.cloudLatencyMs ?? 150 });
  const procs: Proc[] = [];
  const retired: Proc[] = [];
  const watch = new RemovalWatch();
  const resourceNames: Record<string, string> = {};
  try {
    const world = await seedWorld(opts, lab, dir);
    for (const r of world.resources) resourceNames[r.id] = `${r.name} (${r.kind})`;
    const env = processEnv(opts, lab);
    for (let i = 0; i < (opts.processes ?? 2); i++) procs.push(await spawnProc(dir, env));
    const firewallCidrs = () => world.resources.map((r) => ({ resourceId: r.id, cidrs: r.kind === 'script' ? readAllowlist(dir, 'soak-script') : lab.cloudCidrs(r) }));
    const poll = setInterval(() => watch.observe(firewallCidrs()), 100);

    const result: SoakResult = { rounds: 0, kills: { sigkill: 0, sigterm: 0, inFlight: 0 }, sessions: 0, leaks: [], missing: [], stuck: [], maxOutliveMs: 0, longestOutlive: '', seconds: 0 };
    const leaks = new Set<string>();
    const missing = new Set<string>();
    for (let round = 1; round <= opts.rounds && Date.now() - started < opts.maxSeconds * 1000; round++) {
      const live = await liveSessions(opts.database, world);
      const idle = world.people.filter((p) => !live.some((s) => s.userId === p.id));
      const starts = shuffle(idle, random).slice(0, 3 + Math.floor(random() * 4));
      const stops = shuffle(live, random).slice(0, Math.floor(random() * (live.length / 2 + 1)));
      const actions = [
        ...starts.map((p) => () => startSession(procs, p, random).then(() => void result.sessions++)),
        ...stops.map((s) => () => stopSession(procs, world.people.find((p) => p.id === s.userId)!, s.id, random)),
      ];
      const running = Promise.allSettled(actions.map((a) => a()));

      // The victim dies at a random moment, or (half the time) the moment a process is inside a
      // provider call (the script firewall's, whose caller we can tell by its pid).
      let victimIndex = Math.floor(random() * procs.length);
      const inFlight = random() < 0.5;
      if (inFlight) {
        const caller = await waitFor(() => {
          const open = readCalls(dir, 'soak-script').filter((c) => c.end === undefined);
          return procs.findIndex((p) => open.some((c) => c.pid === p.p.pid));
        }, 3_000);
        if (caller !== undefined) {
          victimIndex = caller;
          result.kills.inFlight++;
        }
      } else {
        await sleep(random() * 1500);
      }
      const victim = procs[victimIndex]!;
      const signal = random() < 0.85 ? 'SIGKILL' : 'SIGTERM';
      result.kills[signal === 'SIGKILL' ? 'sigkill' : 'sigterm']++;
      watch.killed(Date.now());
      await victim.p.kill(signal);
      retired.push(victim);
      procs[victimIndex] = await spawnProc(dir, env);
      watch.restarted(Date.now());
      await running;

      const settled = await settle(opts.database, SETTLE_MS);
      if (!settled) log(`round ${round}: not settled after ${SETTLE_MS / 1000} s`);
      const check = await checkpoint(opts.database, world, firewallCidrs());
      check.leaks.forEach((l) => leaks.add(l));
      check.missing.forEach((m) => missing.add(m));
      result.rounds = round;
      log(`round ${round}: ${starts.length} starts, ${stops.length} stops, ${signal} ${inFlight ? 'in a call' : 'at random'}; leaks ${check.leaks.length}, missing ${check.missing.length}`);
    }

    // The end: every session stops; every firewall must empty.
    for (const s of await liveSessions(opts.database, world)) {
      await stopSession(procs, world.people.find((p) => p.id === s.userId)!, s.id, random);
    }
    await settle(opts.database, SETTLE_MS);
    await sleep(500);
    watch.observe(firewallCidrs());
    clearInterval(poll);
    const final = await checkpoint(opts.database, world, firewallCidrs());
    final.leaks.forEach((l) => leaks.add(l));
    result.leaks = [...leaks];
    result.missing = [...missing];
    result.stuck = await stuckSessions(opts.database);
    const outlive = watch.longestOutlive(await endedAt(opts.database));
    result.maxOutliveMs = outlive.ms;
    result.longestOutlive = world.resources.reduce((d, r) => d.replace(r.id, `${r.name} (${r.kind})`), outlive.detail);
    result.seconds = Math.round((Date.now() - started) / 1000);
    return result;
  } finally {
    await Promise.all(procs.map((p) => p.p.kill('SIGKILL')));
    if (opts.logDir) await saveLogs(opts.logDir, [...procs, ...retired], resourceNames);
    await lab.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function saveLogs(dir: string, procs: Proc[], resourceNames: Record<string, string>): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  // The logs name resources by id; this says which is which.
  await fs.writeFile(path.join(dir, 'resources.json'), JSON.stringify(resourceNames, null, 2));
  await Promise.all(procs.map((p) => fs.writeFile(path.join(dir, `entryguard-${p.p.pid}.log`), p.p.output())));
}

interface World {
  people: (BenchUser & { ip: string })[];
  resources: ResourceRow[];
}

async function seedWorld(opts: SoakOptions, lab: CloudLab, dir: string): Promise<World> {
  const { users, resources } = await seedBenchOrg(opts.database.db, {
    users: opts.people ?? 12,
    resources: 4,
    seed: async (db, orgId) => {
      const clouds = await lab.seedResources(db, orgId);
      const script = await seedResource(db, orgId, { name: 'soak-script', kind: 'script', config: { ...slowAllowlistConfig(dir, 'soak-script', opts.scriptDelaySeconds ?? 0.3), concurrency: 4 } });
      return [...clouds, script as ResourceRow];
    },
  });
  // Two pairs of people share an address (one office NAT): their rules are reference-counted.
  const ip = (i: number) => `198.18.7.${i < 4 ? Math.floor(i / 2) + 1 : i + 1}`;
  return { people: users.map((u, i) => ({ ...u, ip: ip(i) })), resources: resources as ResourceRow[] };
}

function processEnv(opts: SoakOptions, lab: CloudLab): Record<string, string> {
  const overrides = {
    // Tuning and the test CA only: the emulators' addresses come with the seeded credentials' endpoint settings.
    aws: { maxAttempts: 2, retryDelayMs: 50, requestTimeoutMs: 5_000, pollIntervalMs: 20 },
    azure: { tlsCa: lab.azure.ca, pollIntervalMs: 20, maxRetries: 1, retryDelayMs: 50 },
    gcp: { timeoutMs: 5_000, operationTimeoutMs: 5_000, retryDelayMs: 50 },
  };
  return {
    DATABASE_URL: opts.databaseUrl,
    HOST: '127.0.0.1',
    TRUST_PROXY: 'loopback',
    DEMO: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: opts.logDir ? 'debug' : 'warn',
    SOAK_CLOUD_OVERRIDES: JSON.stringify(overrides),
    ...lab.secretEnv(),
  };
}

interface Proc {
  p: EntryGuardProcess;
  baseUrl: string;
}

async function spawnProc(dir: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const p = spawnEntryGuard(['start'], {
    cwd: dir,
    env: { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
    entry: path.resolve(import.meta.dirname, 'soak-process.ts'),
  });
  await p.waitFor(/EntryGuard is running/, 90_000);
  return { p, baseUrl: `http://127.0.0.1:${port}` };
}

/** A start through any live process; a request cut by a kill is tried on another. */
async function startSession(procs: Proc[], person: World['people'][number], random: () => number): Promise<void> {
  await viaAnyProcess(procs, random, (base) =>
    fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${person.key}`, 'content-type': 'application/json', 'x-forwarded-for': person.ip },
      body: JSON.stringify({ duration: '1h' }),
    }),
  );
}

async function stopSession(procs: Proc[], person: World['people'][number], id: string, random: () => number): Promise<void> {
  await viaAnyProcess(procs, random, (base) => fetch(`${base}/api/v1/sessions/${id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${person.key}` } }));
}

async function viaAnyProcess(procs: Proc[], random: () => number, send: (base: string) => Promise<Response>): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const proc = procs[Math.floor(random() * procs.length)]!;
    const res = await send(proc.baseUrl).catch(() => undefined);
    // 409/422: a concurrency limit or a session that already ended: the request was answered.
    if (res && res.status < 500) return;
    await sleep(200);
  }
}

async function liveSessions(database: Database, world: World) {
  return database.db
    .select({ id: sessions.id, userId: sessions.userId })
    .from(sessions)
    .where(inArray(sessions.state, ['PENDING', 'ACTIVE', 'PARTIAL']))
    .then((rows) => rows.filter((r) => world.people.some((p) => p.id === r.userId)));
}

/** Waits until no session is on its way somewhere (PENDING, EXPIRING) and no rule waits for a sync. */
async function settle(database: Database, ms: number): Promise<boolean> {
  return waitUntil(
    'the soak to settle',
    async () => {
      const [row] = await database.db.execute<{ n: number }>(sql`
        select (select count(*) from sessions where state in ('PENDING', 'EXPIRING'))
             + (select count(*) from session_rules r join sessions s on s.id = r.session_id
                where r.state = 'REMOVING' or (r.state = 'PENDING' and s.state in ('ACTIVE', 'PARTIAL'))) as n`);
      return Number(row!.n) === 0;
    },
    ms,
    200,
  ).then(
    () => true,
    () => false,
  );
}

/** Rules in a firewall that no holding session wants (leaks), and holding sessions' rules absent (missing). */
async function checkpoint(database: Database, world: World, firewalls: { resourceId: string; cidrs: string[] }[]) {
  const wanted = await database.db.execute<{ resource_id: string; cidr: string; session_id: string }>(sql`
    select r.resource_id, r.cidr, r.session_id from session_rules r join sessions s on s.id = r.session_id
    where s.state in ('ACTIVE', 'PARTIAL', 'PENDING') and r.state = 'APPLIED'`);
  const leaks: string[] = [];
  const missing: string[] = [];
  for (const fw of firewalls) {
    const name = world.resources.find((r) => r.id === fw.resourceId)!.name;
    const want = new Set(wanted.filter((w) => w.resource_id === fw.resourceId).map((w) => w.cidr));
    for (const c of fw.cidrs) if (!want.has(c)) leaks.push(`${name} ${c}`);
    for (const w of wanted.filter((x) => x.resource_id === fw.resourceId)) if (!fw.cidrs.includes(w.cidr)) missing.push(`${name} ${w.cidr} (session ${w.session_id.slice(0, 8)})`);
  }
  return { leaks, missing };
}

async function stuckSessions(database: Database): Promise<string[]> {
  const rows = await database.db.execute<{ id: string; state: string }>(sql`select id, state from sessions where state not in ('EXPIRED', 'CANCELLED', 'DENIED', 'FAILED')`);
  return rows.map((r) => `${r.id.slice(0, 8)} ${r.state}`);
}

/** When each (resource, CIDR) stopped being wanted: the end of the last session that held it. */
async function endedAt(database: Database): Promise<Map<string, number[]>> {
  const rows = await database.db.execute<{ resource_id: string; cidr: string; ended_at: string }>(sql`
    select r.resource_id, r.cidr, s.ended_at from session_rules r join sessions s on s.id = r.session_id where s.ended_at is not null`);
  const ends = new Map<string, number[]>();
  for (const r of rows) {
    const key = `${r.resource_id} ${r.cidr}`;
    ends.set(key, [...(ends.get(key) ?? []), new Date(r.ended_at).getTime()]);
  }
  return ends;
}

export function formatSoakTable(r: SoakResult): string {
  const rows: [string, string, string, boolean][] = [
    ['LEAKS (rules no live session wants)', String(r.leaks.length), '0', r.leaks.length === 0],
    ['MISSING (live sessions’ rules absent)', String(r.missing.length), '0', r.missing.length === 0],
    ['STUCK sessions', String(r.stuck.length), '0', r.stuck.length === 0],
    ['longest a rule outlived its session (from the restart)', `${(r.maxOutliveMs / 1000).toFixed(1)} s`, '≤ 3 s', r.maxOutliveMs <= 3000],
  ];
  const lines = [
    `crash soak: ${r.rounds} rounds, ${r.sessions} sessions, ${r.kills.sigkill} kill -9 + ${r.kills.sigterm} SIGTERM (${r.kills.inFlight} inside a provider call), ${r.seconds} s, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    '',
    '| check | result | target | |',
    '| --- | ---: | --- | --- |',
    ...rows.map(([name, value, target, ok]) => `| ${name} | ${value} | ${target} | ${ok ? 'ok' : 'MISSED'} |`),
  ];
  for (const [what, list] of [['leaks', r.leaks], ['missing', r.missing], ['stuck', r.stuck]] as const) if (list.length) lines.push(`${what}: ${list.slice(0, 10).join('; ')}`);
  if (r.longestOutlive) lines.push(`longest: ${r.longestOutlive}`);
  return lines.join('\n');
}

export const soakPassed = (r: SoakResult) => r.leaks.length === 0 && r.missing.length === 0 && r.stuck.length === 0 && r.maxOutliveMs <= 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it gives an index (>= 0), or undefined after `ms`. */
async function waitFor(probe: () => number, ms: number): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const i = probe();
    if (i >= 0) return i;
    await sleep(10);
  }
  return undefined;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** A small seeded generator, so a failing soak can be replayed with the same choices (SOAK_SEED). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
