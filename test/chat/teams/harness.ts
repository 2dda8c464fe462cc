import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createTeamsIntegration, type TeamsIntegration } from '../../../src/chat/teams/integration.ts';
import { chatWorkspaces } from '../../../src/db/schema/index.ts';
import type { SyncDeps } from '../../../src/engine/deps.ts';
import { countSessionsByState } from '../../../src/engine/session-stats.ts';
import { createMetrics } from '../../../src/http/metrics.ts';
import { createHttpServer } from '../../../src/http/server.ts';
import { createJobQueue } from '../../../src/jobs/job-queue.ts';
import { createTaskList } from '../../../src/jobs/task-list.ts';
import { createManualClock, type ManualClock } from '../../../src/shared/clock.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { MemoryFirewall, memoryRegistry } from '../../fakes/memory/memory-provider.ts';
import { APP_ID, TENANT } from '../../fakes/teams/activities.ts';
import { startFakeConnector, type FakeConnector } from '../../fakes/teams/fake-connector.ts';
import { startFakeIssuer, type FakeIssuer } from '../../fakes/teams/fake-issuer.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.ts';
import { chatHarnessParts } from '../chat-harness-parts.ts';
import { seedOrg, seedUser } from '../../helpers/seed.ts';

export const PUBLIC_URL = 'https://eg.example.test';
export const OUTBOUND_TOKEN = 'test-outbound-token';

export interface TeamsHarness {
  database: TestDatabase;
  deps: SyncDeps;
  clock: ManualClock;
  firewall: MemoryFirewall;
  connector: FakeConnector;
  issuer: FakeIssuer;
  teams: TeamsIntegration;
  app: FastifyInstance;
  /** While set, getting the outbound token fails (as MSAL does when Entra is unreachable). */
  tokenFailure: Error | undefined;
  /** POSTs an activity to /api/messages, signed by the fake channel unless `token` says otherwise (null = none). */
  post(activity: Record<string, unknown>, token?: string | null): Promise<Response>;
  confirmClaim(url: string, ip?: string): Promise<number>;
  runJobs(): Promise<void>;
  jobsOf(task: string): Promise<{ attempts: number; lastError: string | null }[]>;
  close(): Promise<void>;
}

/**
 * The real HTTP server with /api/messages mounted and Bot Framework JWT validation ON (keys from
 * the fake issuer; `local` = no app id, the Agents Playground mode), the engine on a fresh database (manual clock, in-memory firewall), the real
 * Teams notifier in notify_session, and the fake connector.
 */
export async function createTeamsHarness(opts: { local?: boolean } = {}): Promise<TeamsHarness> {
  const database = await createTestDatabase();
  const clock = createManualClock(new Date(Date.now() + 24 * 60 * 60_000));
  const firewall = new MemoryFirewall();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const deps: SyncDeps = { db: database.db, clock, jobs: createJobQueue({ notifications: true }), logger, providers: memoryRegistry(firewall) };
  const connector = await startFakeConnector();
  const issuer = await startFakeIssuer();
  const state: { tokenFailure: Error | undefined } = { tokenFailure: undefined };
  const outboundToken = async (audience: string) => {
    if (state.tokenFailure) throw state.tokenFailure;
    return audience === 'https://api.botframework.com' ? OUTBOUND_TOKEN : `wrong-audience:${audience}`;
  };
  const teams = createTeamsIntegration(
    { engine: deps, logger, publicUrl: PUBLIC_URL, claimTtlSeconds: 300 },
    opts.local
      ? { nodeEnv: 'development', defaultServiceUrl: connector.serviceUrl }
      : { appId: APP_ID, tenantId: TENANT, openIdMetadataUrl: issuer.openIdMetadataUrl, outboundToken, nodeEnv: 'test', defaultServiceUrl: connector.serviceUrl },
  );
  const taskList = createTaskList(deps, { notifiers: [teams.notifier] });
  const metrics = createMetrics({ sessionCounts: () => countSessionsByState(deps.db), logger, processMetrics: false });
  const app = await createHttpServer({
    engine: deps,
    logger,
    publicUrl: PUBLIC_URL,
    trustProxy: [],
    claimTtlSeconds: 300,
    readiness: async () => ({ database: true, worker: true }),
    metrics,
    chatRoutes: [teams.routes],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/messages`;

  const parts = chatHarnessParts({ app, publicUrl: PUBLIC_URL, database, clock, taskList, logger });
  return {
    database,
    deps,
    clock,
    firewall,
    connector,
    issuer,
    teams,
    app,
    get tokenFailure() {
      return state.tokenFailure;
    },
    set tokenFailure(err) {
      state.tokenFailure = err;
    },
    post(activity, token) {
      const t = token === undefined ? issuer.tokenFor(APP_ID, String(activity.serviceUrl)) : token;
      return fetch(url, { method: 'POST', body: JSON.stringify(activity), headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) } });
    },
    ...parts,
    async close() {
      await app.close();
      await connector.close();
      await issuer.close();
      await database.drop();
    },
  };
}

/** Binds the test tenant to the org, as the org file's chat binding does. */
export async function bindTenant(h: TeamsHarness, orgId: string, tenantId = TENANT) {
  await h.deps.db.insert(chatWorkspaces).values({ orgId, platform: 'teams', externalId: tenantId });
}

/** The claim link in a message. */
export function claimUrlOf(activity: Record<string, unknown> | undefined): string {
  const m = /https:\/\/eg\.example\.test\/c\/[A-Za-z0-9_-]+/.exec(JSON.stringify(activity ?? {}));
  if (!m) throw new Error(`no claim link in ${JSON.stringify(activity)}`);
  return m[0];
}

/** What a person reads in a message: its text and every TextBlock of its card (times appear as {{DATE(…)}} functions). */
export function textOf(activity: Record<string, unknown> | undefined): string {
  const blocks: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (o.type === 'TextBlock' && typeof o.text === 'string') blocks.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(activity?.attachments);
  return [typeof activity?.text === 'string' ? activity.text : '', ...blocks].filter(Boolean).join('\n');
}

/** A session card (not a reply naming the session): it carries the state badge. */
export const isSessionCard = (activity: Record<string, unknown> | undefined): boolean => JSON.stringify(activity?.attachments ?? []).includes('"id":"state"');

/** A harness with an organization on `plan` bound to the test tenant. */
export async function createTeamsOrgHarness(plan: 'free' | 'team' = 'team') {
  const h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db, { plan });
  await bindTenant(h, org.id);
  return { h, org };
}

/** A person of the org that the connector's member lookup knows as `who`. */
export async function seedTeamsPerson(h: TeamsHarness, orgId: string, who: { id: string; aadObjectId: string }, email: string) {
  const user = await seedUser(h.deps.db, orgId, { email });
  h.connector.addMember(who.id, { aadObjectId: who.aadObjectId, email });
  return user;
}
