import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createSlackIntegration, type SlackIntegration, type SlackSettings } from '../../../src/chat/slack/integration.ts';
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
import { blockActionsBody, slackHeaders, slashCommandBody } from '../../fakes/slack/signing.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/fake-slack.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.ts';
import { chatHarnessParts } from '../chat-harness-parts.ts';

export const SECRET = 'test-signing-secret';
export const PUBLIC_URL = 'https://eg.example.test';

export interface SlackHarness {
  database: TestDatabase;
  deps: SyncDeps;
  clock: ManualClock;
  firewall: MemoryFirewall;
  fake: FakeSlack;
  slack: SlackIntegration;
  app: FastifyInstance;
  url: string;
  /** POSTs a signed body to /slack/events over real HTTP. */
  post(body: string, opts?: { ts?: number; secret?: string; retryNum?: number }): Promise<Response>;
  /** `/entryguard <text>` from a Slack user; waits for the listener's slow work. */
  command(text: string, user: string, opts?: { channel?: string; channelName?: string; id?: string; team?: string }): Promise<{ res: Response; replies: Record<string, unknown>[] }>;
  /** A button click, or (`select`) choosing an option of a menu whose value is `value`. */
  click(p: { actionId: string; value: string; user: string; channel: string; messageTs: string; id?: string; actionTs?: string; retryNum?: number; select?: boolean }): Promise<{ res: Response; replies: Record<string, unknown>[] }>;
  /** Opens the claim page and confirms it from `ip`, as a browser would. */
  confirmClaim(url: string, ip?: string): Promise<number>;
  /** Runs every job due by the test clock (failed jobs once more each call, like a retry). */
  runJobs(): Promise<void>;
  /** Jobs still queued (waiting or retrying) for a task. */
  jobsOf(task: string): Promise<{ attempts: number; lastError: string | null }[]>;
  close(): Promise<void>;
}

let seq = 0;

/**
 * The real HTTP server with the Slack endpoint mounted, the engine on a fresh database (manual
 * clock, in-memory firewall), the real notifier wired into notify_session, and the fake Slack.
 */
export async function createSlackHarness(opts: { settings?: Partial<SlackSettings> } = {}): Promise<SlackHarness> {
  const database = await createTestDatabase();
  const clock = createManualClock(new Date(Date.now() + 24 * 60 * 60_000));
  const firewall = new MemoryFirewall();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const deps: SyncDeps = { db: database.db, clock, jobs: createJobQueue({ notifications: true }), logger, providers: memoryRegistry(firewall) };
  const fake = await startFakeSlack();
  const slack = createSlackIntegration({ engine: deps, logger, publicUrl: PUBLIC_URL, claimTtlSeconds: 300 }, {
    botToken: 'xoxb-test',
    signingSecret: SECRET,
    slackApiUrl: fake.apiUrl,
    ...opts.settings,
  });
  const taskList = createTaskList(deps, { notifiers: [slack.notifier] });
  const metrics = createMetrics({ sessionCounts: () => countSessionsByState(deps.db), logger, processMetrics: false });
  const app = await createHttpServer({
    engine: deps,
    logger,
    publicUrl: PUBLIC_URL,
    trustProxy: [],
    claimTtlSeconds: 300,
    readiness: async () => ({ database: true, worker: true }),
    metrics,
    chatRoutes: [slack.routes!],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/slack/events`;

  const post = (body: string, o: { ts?: number; secret?: string; retryNum?: number } = {}) =>
    fetch(url, { method: 'POST', body, headers: slackHeaders(o.secret ?? SECRET, body, o) });

  const parts = chatHarnessParts({ app, publicUrl: PUBLIC_URL, database, clock, taskList, logger });
  return {
    database,
    deps,
    clock,
    firewall,
    fake,
    slack,
    app,
    url,
    post,
    async command(text, user, o = {}) {
      const id = o.id ?? `cmd${++seq}`;
      const res = await post(slashCommandBody({ text, user, channel: o.channel, channelName: o.channelName, team: o.team, responseUrl: fake.responseUrl(id) }));
      await slack.settled();
      return { res, replies: fake.responsesTo(id) };
    },
    async click(p) {
      const id = p.id ?? `click${++seq}`;
      const res = await post(blockActionsBody({ ...p, responseUrl: fake.responseUrl(id) }), { retryNum: p.retryNum });
      await slack.settled();
      return { res, replies: fake.responsesTo(id) };
    },
    ...parts,
    async close() {
      await app.close();
      await slack.stop();
      await fake.close();
      await database.drop();
    },
  };
}

/** Binds Slack team T111 to the org, as the org file's chat binding does. */
export async function bindWorkspace(h: SlackHarness, orgId: string, teamId = 'T111') {
  await h.deps.db.insert(chatWorkspaces).values({ orgId, platform: 'slack', externalId: teamId });
}

/** The claim link in a start reply (the button's URL). */
export function claimUrlOf(reply: Record<string, unknown> | undefined): string {
  const m = /https:\/\/eg\.example\.test\/c\/[A-Za-z0-9_-]+/.exec(JSON.stringify(reply ?? {}));
  if (!m) throw new Error(`no claim link in ${JSON.stringify(reply)}`);
  return m[0];
}

/**
 * The Extend control of a card or warning: a button when one amount fits, else the menu's option
 * for `minutes` (1h by default), as the click to send.
 */
export function extendOf(blocks: unknown[], minutes = 60): { actionId: string; value: string; select: boolean } | undefined {
  for (const b of blocks as { elements?: { action_id?: string; value?: string; options?: { value: string }[] }[] }[]) {
    for (const e of b.elements ?? []) {
      if (e.action_id === 'session.extend' && e.value) return { actionId: e.action_id, value: e.value, select: false };
      const option = e.action_id === 'session.extend_by' ? e.options?.find((o) => o.value.endsWith(`|${minutes}`)) : undefined;
      if (option) return { actionId: 'session.extend_by', value: option.value, select: true };
    }
  }
  return undefined;
}
