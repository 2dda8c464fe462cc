import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createSlackIntegration } from '../../../src/chat/slack/integration.ts';
import { chatWorkspaces } from '../../../src/db/schema/index.ts';
import { countSessionsByState } from '../../../src/engine/session-stats.ts';
import { createMetrics } from '../../../src/http/metrics.ts';
import { createHttpServer } from '../../../src/http/server.ts';
import { startFakeSlack } from '../../fakes/slack/fake-slack.ts';
import { slackHeaders, slashCommandBody } from '../../fakes/slack/signing.ts';
import type { BenchEnvironment } from '../environment.ts';
import { seedBenchOrg } from '../fixtures.ts';
import { percentile } from '../stats.ts';

const SECRET = 'bench-signing-secret';

/**
 * Slack's side, in a worker thread: fires one round of signed requests at once and reports each
 * round trip. Off the server's event loop, as Slack's servers are, so the numbers measure the
 * server and not a client competing with it. Plain JS: worker threads on Node 20 do not get the
 * tsx loader.
 */
const CLIENT = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ url, requests }) => {
  const results = await Promise.all(requests.map(async (r) => {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', body: r.body, headers: r.headers });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  }));
  parentPort.postMessage(results);
});`;

/**
 * Slash-command acknowledgement under load: `concurrency` people type `/entryguard start 1h` at
 * the same moment, `rounds` times, after one uncounted warm-up round. Measures the HTTP answer
 * Slack waits for (it gives up after 3 s); the slow work after the ack (identity, claim, reply)
 * runs meanwhile, as in production, and is awaited between rounds. The Slack endpoint is
 * mounted on the same server code as production, with a loopback fake Web API.
 */
export async function slackAckLatency(env: BenchEnvironment, opts: { concurrency: number; rounds: number }) {
  const deps = env.services.deps;
  const fake = await startFakeSlack();
  const slack = createSlackIntegration(
    { engine: deps, logger: deps.logger, publicUrl: 'https://eg.example.test', claimTtlSeconds: 300 },
    { botToken: 'xoxb-test', signingSecret: SECRET, slackApiUrl: fake.apiUrl },
  );
  const app = await createHttpServer({
    engine: deps,
    logger: deps.logger,
    publicUrl: 'https://eg.example.test',
    trustProxy: [],
    claimTtlSeconds: 300,
    readiness: async () => ({ database: true, worker: true }),
    metrics: createMetrics({ sessionCounts: () => countSessionsByState(deps.db), logger: deps.logger, processMetrics: false }),
    chatRoutes: [slack.routes!],
  });
  // Request in → answer written, as the server sees it (excludes the network and the client).
  const serverMs: number[] = [];
  app.addHook('onResponse', async (_req, reply) => void serverMs.push(reply.elapsedTime));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/slack/events`;
  try {
    const { org, users } = await seedBenchOrg(deps.db, { users: opts.concurrency, resources: 3 });
    const team = `TBENCH${org.id.slice(0, 8)}`;
    await deps.db.insert(chatWorkspaces).values({ orgId: org.id, platform: 'slack', externalId: team });
    users.forEach((u, i) => fake.addUser(`UBENCH${i}`, u.email, team));
    const samples: number[] = [];
    let failures = 0;
    const floorMs: number[] = [];
    const client = new Worker(CLIENT, { eval: true });
    try {
      // Round -1 warms up (first requests pay for lazy loading and new connections) and is not counted.
      for (let round = -1; round < opts.rounds; round++) {
        const requests = users.map((_u, i) => {
          const body = slashCommandBody({ text: 'start 1h', user: `UBENCH${i}`, team, responseUrl: fake.responseUrl(`r${round}-${i}`) });
          return { body, headers: slackHeaders(SECRET, body) };
        });
        client.postMessage({ url, requests });
        const [results] = (await once(client, 'message')) as [{ ms: number; status: number }[]];
        for (const r of results) {
          if (round >= 0) samples.push(r.ms);
          if (r.status !== 200) failures++;
        }
        await slack.settled();
      }
      // The floor: the same burst with a wrong signature (401 before Bolt, no work after).
      client.postMessage({ url, requests: users.map(() => ({ body: 'x=1', headers: slackHeaders('wrong', 'x=1') })) });
      const [floor] = (await once(client, 'message')) as [{ ms: number }[]];
      floorMs.push(...floor.map((r) => r.ms));
    } finally {
      await client.terminate();
    }
    const replies = users.flatMap((_u, i) => fake.responsesTo(`r${opts.rounds - 1}-${i}`));
    const linked = replies.filter((r) => JSON.stringify(r).includes('/c/')).length;
    return {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: Math.max(...samples),
      serverP50: percentile(serverMs, 50),
      serverP99: percentile(serverMs, 99),
      floorP50: percentile(floorMs, 50),
      floorP99: percentile(floorMs, 99),
      samples: samples.length,
      failures,
      linked,
    };
  } finally {
    await app.close();
    await slack.stop();
    await fake.close();
  }
}
