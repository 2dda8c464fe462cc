import type { AppConfig } from '../config/env.ts';
import { createSlackIntegration } from '../chat/slack/integration.ts';
import { createTeamsIntegration } from '../chat/teams/integration.ts';
import { createProviderRegistry } from '../cloud/registry.ts';
import type { SyncDeps } from '../engine/deps.ts';
import type { ProviderRegistry } from '../engine/ports.ts';
import { createHttpServer } from '../http/server.ts';
import { createMetrics, type Metrics } from '../http/metrics.ts';
import { createReadinessCheck } from '../http/readiness.ts';
import { createJobQueue } from '../jobs/job-queue.ts';
import { startJobRelay } from '../jobs/job-relay.ts';
import { startAuditSealer } from '../jobs/audit-sealer.ts';
import { createTaskList } from '../jobs/task-list.ts';
import { startWorker, type Worker } from '../jobs/worker.ts';
import { prepareProviders } from '../engine/prepare-providers.ts';
import { resumeUnfinishedWork } from '../engine/resume-work.ts';
import { failingRemovals, failingVerifications, jobBacklog, liveWorkerCount, workHeldByDeadWorkers } from '../db/ops-stats.ts';
import { countSessionsByState } from '../engine/session-stats.ts';
import type { SyncReport } from '../engine/sync-resource.ts';
import { systemClock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { toListenError } from './cli-errors.ts';
import { openDatabase, type DatabaseRuntime } from './database.ts';
import { createSecretResolver } from './secrets.ts';
import { packageVersion } from './version.ts';

export interface Services {
  runtime: DatabaseRuntime;
  deps: SyncDeps;
  metrics: Metrics;
  /** The HTTP server's address when `web` runs (useful with PORT=0). */
  address: string | undefined;
  /** Stops everything in the order that loses nothing: HTTP, then the worker (drains jobs), then the database. */
  stop(): Promise<void>;
}

/**
 * The composition root: wires the engine to Postgres, graphile-worker, the providers and the
 * HTTP server. `web` and `worker` can run in one process (`entryguard start`) or apart.
 */
export async function startServices(
  config: AppConfig,
  env: Record<string, string | undefined>,
  logger: Logger,
  roles: { web: boolean; worker: boolean },
  beforeServing?: (services: Omit<Services, 'stop' | 'address'>) => Promise<void>,
  overrides: { providers?: ProviderRegistry } = {},
): Promise<Services> {
  const runtime = await openDatabase(config, logger);
  const metrics = createDatabaseMetrics(runtime.database.db, logger);
  // Slack for one workspace (bot token) or many (OAuth: client id + secret, installations in Postgres).
  const { clientId, clientSecret } = config.slack;
  const slackOAuth = clientId && clientSecret ? { clientId, clientSecret } : undefined;
  const slackOn = !!config.slack.botToken || !!slackOAuth;
  // Jobs queued by this process's transactions move into graphile-worker as they commit.
  const relay = startJobRelay({ db: runtime.database.db, logger });
  const deps: SyncDeps = {
    db: runtime.database.db,
    clock: systemClock,
    // Chat notifications are queued only when a platform will send them (the notifiers below).
    // Teams counts too: TEAMS_APP_ID, or TEAMS_LOCAL=true for the Agents Playground (see teams below).
    jobs: createJobQueue({ notifications: slackOn || !!config.teams.appId || config.teams.local, onQueued: relay.wake }),
    logger,
    providers: overrides.providers ?? createProviderRegistry({ secrets: createSecretResolver(env), logger }),
  };
  await beforeServing?.({ runtime, deps, metrics });

  // Slack (chat/slack), when SLACK_BOT_TOKEN or SLACK_CLIENT_ID + _SECRET are set: its notifier
  // runs in the worker, its signed endpoint on the web server (or Socket Mode with SLACK_APP_TOKEN).
  const slack = slackOn
    ? createSlackIntegration(
        { engine: deps, logger, publicUrl: config.http.publicUrl, claimTtlSeconds: config.claimTtlSeconds },
        {
          botToken: config.slack.botToken,
          oauth: slackOAuth,
          signingSecret: config.slack.signingSecret,
          appToken: config.slack.appToken,
          receive: roles.web,
          // GovSlack (and any other Slack host) also serves its own OAuth consent page.
          ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl, authorizeUrl: new URL('/oauth/v2/authorize', config.slack.apiUrl).href } : {}),
        },
      )
    : undefined;
  // Teams (chat/teams), when TEAMS_APP_ID is set, or TEAMS_LOCAL=true for local mode (unsigned
  // activities; createTeamsIntegration refuses it when NODE_ENV=production).
  const teams =
    config.teams.appId || config.teams.local
      ? createTeamsIntegration(
          { engine: deps, logger, publicUrl: config.http.publicUrl, claimTtlSeconds: config.claimTtlSeconds },
          { appId: config.teams.appId, appPassword: config.teams.appPassword, tenantId: config.teams.tenantId, cloud: config.teams.cloud, nodeEnv: config.nodeEnv },
        )
      : undefined;
  const notifiers = [slack?.notifier, teams?.notifier].filter((n) => n !== undefined);
  zeroSeries(metrics, deps.providers.kinds(), notifiers.map((n) => n.platform));

  let worker: Worker | undefined;
  let sealer: { stop(): Promise<void> } | undefined;
  if (roles.worker) {
    const taskList = createTaskList(deps, {
      notifiers,
      observeSync: (_resourceId, report, ms) => observeSync(metrics, report, ms),
      onNotifyFailure: (platform) => metrics.notificationFailures.inc({ platform }),
    });
    // The SDKs the configured resources need are loaded, and their clients signed in, before this
    // worker takes any job: that takes seconds of CPU, and a job taken meanwhile would wait for it
    // (while another worker could have done it at once).
    await prepareProviders(deps);
    worker = await startWorker({ connectionString: runtime.url, taskList, logger, concurrency: config.worker.concurrency });
    sealer = startAuditSealer({ db: deps.db, logger });
    // Whatever a crash interrupted (an intent recorded before a provider call, rules waiting for a
    // sync that died with its worker) is synced now, not at the next sweep.
    const resumed = await resumeUnfinishedWork(deps);
    if (resumed > 0) logger.info({ resources: resumed }, 'resuming unfinished firewall changes');
  }

  const server = roles.web
    ? await createHttpServer({
        engine: deps,
        logger,
        publicUrl: config.http.publicUrl,
        publicUrlV4: config.http.publicUrlV4,
        publicUrlV6: config.http.publicUrlV6,
        trustProxy: [...config.http.trustProxy],
        rateLimitPerMinute: config.http.rateLimitPerMinute,
        metricsToken: config.http.metricsToken,
        version: packageVersion(),
        claimTtlSeconds: config.claimTtlSeconds,
        readiness: createReadinessCheck({
          db: deps.db,
          workerInProcess: worker ? () => worker!.alive() : undefined,
          heldByDeadWorkers: () => workHeldByDeadWorkers(deps.db),
        }),
        metrics,
        chatRoutes: [slack?.routes, teams?.routes].filter((r) => r !== undefined),
      })
    : undefined;
  const stop = async () => {
    await server?.close();
    await slack?.stop();
    await worker?.stop();
    await sealer?.stop();
    await relay.stop();
    await runtime.close();
  };
  let address: string | undefined;
  try {
    address = server ? await server.listen({ host: config.http.host, port: config.http.port }) : undefined;
  } catch (err) {
    // Nothing may outlive a failed start: the worker would keep taking jobs, and an embedded
    // Postgres keep running, in a process about to exit.
    await stop().catch((e: unknown) => logger.warn({ err: e }, 'could not stop everything after a failed start'));
    throw toListenError(err, config.http.host, config.http.port);
  }
  await slack?.start();

  return { runtime, deps, metrics, address, stop };
}

/** Metrics whose gauges read the database at scrape time (db/ops-stats.ts). */
function createDatabaseMetrics(db: SyncDeps['db'], logger: Logger): Metrics {
  return createMetrics({
    logger,
    sessionCounts: () => countSessionsByState(db),
    jobBacklog: () => jobBacklog(db),
    heldByDeadWorkers: () => workHeldByDeadWorkers(db),
    liveWorkers: () => liveWorkerCount(db),
    failingRemovals: () => failingRemovals(db),
    failingVerifications: () => failingVerifications(db),
  });
}

/**
 * Series that exist before anything happened, at 0: Prometheus can then tell "none yet" from
 * "not reported", and rate() sees the first increment.
 */
function zeroSeries(metrics: Metrics, kinds: readonly string[], platforms: string[]): void {
  for (const kind of kinds) {
    metrics.providerCalls.inc({ kind }, 0);
    metrics.syncDuration.zero({ kind, outcome: 'ok' });
    metrics.ruleOutlivedSession.zero({ kind });
  }
  for (const platform of platforms) metrics.notificationFailures.inc({ platform }, 0);
}

/**
 * Every sync that ran (not one put off because another held the resource) is timed, whether or
 * not it needed a provider call: a sync with nothing to change is still work done.
 */
function observeSync(metrics: Metrics, report: SyncReport, ms: number): void {
  if (!report.kind || report.deferred) return;
  if (report.providerCalls > 0) metrics.providerCalls.inc({ kind: report.kind }, report.providerCalls);
  const outcome = report.failed.length === 0 ? 'ok' : report.retryAt ? 'retry' : report.failed.length < report.added.length + report.removed.length + report.failed.length ? 'partial' : 'failed';
  metrics.syncDuration.observe({ kind: report.kind, outcome }, ms / 1000);
  for (const s of report.outlivedSeconds) metrics.ruleOutlivedSession.observe({ kind: report.kind }, s);
}
