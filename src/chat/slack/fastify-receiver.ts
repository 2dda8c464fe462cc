import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { isValidSlackRequest, type Logger as BoltLogger } from '@slack/bolt';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Logger } from '../../shared/logger.ts';
import { toBoltLogger } from './bolt-logger.ts';
import { EVENTS_PATH } from './ids.ts';
import { parseSlackBody, replayKey } from './inbound.ts';
import { createRecentKeys } from './recent-keys.ts';

export interface FastifyReceiver extends Receiver {
  /** The Slack endpoint as a fastify plugin, for the project's one HTTP server. */
  routes: FastifyPluginAsync;
  /** Resolves when every listener that already acked has also finished its slow work. */
  settled(): Promise<void>;
}

export interface FastifyReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Bolt's limit: Slack gives up after 3 s, so an unacknowledged request is answered 404 then. */
  ackTimeoutMs?: number;
  /** Epoch ms for the 5-minute timestamp window; the real clock outside tests. */
  now?: () => number;
}

/** How long slow work may be held back for other requests' acks (well inside Slack's 3 s). */
const ACK_PRIORITY_MS = 250;

/**
 * The largest body Slack sends us, with room to spare; anything bigger is refused (413) before
 * the signature is even computed. Slack documents no request-size limit, so the bound comes from
 * what the requests carry: a slash command's form fields, and a button click's `block_actions`
 * payload, which includes the whole `message` the button sits on
 * (https://api.slack.com/reference/interaction-payloads/block-actions). Buttons exist only on our
 * own cards, whose free text is cut at Slack's 3,000 characters per section
 * (https://api.slack.com/reference/block-kit/blocks#section): the worst card we can render, all
 * 3-byte characters, makes a 29 KB form-encoded click (test/chat/slack/payload-size.test.ts).
 * A command of ~20,000 characters still fits; nobody types one.
 */
export const SLACK_BODY_LIMIT = 64 * 1024;

/**
 * Bolt's HTTP receiving on fastify: v0 HMAC signature over the raw body (Bolt's own check)
 * dated within five minutes either way of our clock, then `app.processEvent`. The HTTP answer is whatever the listener
 * passes to `ack()`, sent at once; the listener's slow work continues after it. Slack's retries
 * (x-slack-retry-num) of a payload already handled here are acknowledged and dropped.
 */
export function createFastifyReceiver(opts: FastifyReceiverOptions): FastifyReceiver {
  let bolt: App | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const seen = createRecentKeys(5000, 10 * 60_000);
  const boltLogger: BoltLogger = toBoltLogger(opts.logger);
  const ackTimeoutMs = opts.ackTimeoutMs ?? 3001;
  const now = opts.now ?? Date.now;
  let awaitingAck = 0;

  const routes: FastifyPluginAsync = async (f) => {
    // Encapsulated: only this plugin sees bodies as raw bytes, which the signature needs.
    f.removeAllContentTypeParsers();
    f.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    // Not rate-limited per address (http/rate-limit.ts): every workspace's requests come from Slack's.
    f.post(EVENTS_PATH, { bodyLimit: SLACK_BODY_LIMIT, config: { rateLimit: false } }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
      // Slack's periodic certificate check; it does nothing here, so like Bolt it needs no signature.
      if (/(?:^|&)ssl_check=1(?:&|$)/.test(raw)) return reply.code(200).send();
      const signature = request.headers['x-slack-signature'];
      const timestamp = Number(request.headers['x-slack-request-timestamp']);
      const valid =
        typeof signature === 'string' &&
        isFreshTimestamp(timestamp, now()) &&
        isValidSlackRequest({ signingSecret: opts.signingSecret, body: raw, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }, nowMilliseconds: now(), logger: boltLogger });
      if (!valid) return reply.code(401).send();
      const body = parseSlackBody(request.headers['content-type'], raw);
      if (!body) return reply.code(400).send();
      if (body.type === 'url_verification') return reply.send({ challenge: body.challenge });
      if (!bolt) return reply.code(503).send();
      const retryNum = Number(request.headers['x-slack-retry-num'] ?? '') || undefined;
      const key = replayKey(body);
      if (key && seen.has(key)) {
        request.log.info({ retryNum }, 'slack: payload already handled; acknowledging the retry without acting');
        return reply.code(200).send();
      }
      if (key) seen.add(key);
      return dispatch(bolt, { body, retryNum, retryReason: header(request.headers['x-slack-retry-reason']) }, reply);
    });
  };

  /**
   * Resumes a listener's slow work (after its ack) only once no other request is waiting for
   * its ack, or after ACK_PRIORITY_MS at most: under a burst of commands, every ack goes out
   * before the database work of any of them takes the event loop. One event-loop turn per check,
   * so requests still arriving are read and answered in between.
   */
  async function acksFirst(): Promise<void> {
    const until = performance.now() + ACK_PRIORITY_MS;
    do await new Promise<void>((resolve) => setImmediate(resolve));
    while (awaitingAck > 0 && performance.now() < until);
  }

  async function dispatch(app: App, event: Omit<ReceiverEvent, 'ack'>, reply: FastifyReply) {
    awaitingAck++;
    try {
      return await dispatchCounted(app, event, reply);
    } finally {
      awaitingAck--;
    }
  }

  async function dispatchCounted(app: App, event: Omit<ReceiverEvent, 'ack'>, reply: FastifyReply) {
    let acked: ((r: { response: unknown }) => void) | undefined;
    const ack = new Promise<{ response: unknown }>((resolve) => (acked = resolve));
    let isAcked = false;
    const work = app.processEvent({
      ...event,
      ack: async (response?: unknown) => {
        if (isAcked) return;
        isAcked = true;
        acked?.({ response });
        await acksFirst();
      },
    });
    const tracked = work.catch((err: unknown) => opts.logger.error({ err }, 'slack: listener failed'));
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ack,
      work.then(() => ({ finished: true as const }), () => ({ failed: true as const })),
      new Promise<{ timeout: true }>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), ackTimeoutMs))),
    ]);
    clearTimeout(timer);
    if ('response' in outcome) return sendAck(reply, outcome.response);
    if (isAcked) return sendAck(reply, (await ack).response);
    if ('failed' in outcome) return reply.code(500).send();
    return reply.code(404).send(); // nobody acknowledged: Slack shows the user a timeout
  }

  return {
    routes,
    init(app: App) {
      bolt = app;
    },
    // The HTTP server's lifecycle belongs to http/server.ts; stopping waits for listeners.
    start: async () => undefined,
    stop: async () => {
      await Promise.allSettled([...inFlight]);
    },
    settled: async () => {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}

function sendAck(reply: FastifyReply, response: unknown) {
  if (response === undefined || response === '') return reply.code(200).send();
  if (typeof response === 'string') return reply.code(200).type('text/plain').send(response);
  return reply.code(200).send(response);
}

/** Slack's replay window: five minutes either way (https://api.slack.com/authentication/verifying-requests-from-slack). */
const MAX_CLOCK_SKEW_S = 5 * 60;

/**
 * Bolt refuses only old timestamps; one dated in the future is refused too, or a request signed
 * ahead of time (or by a clock set forward) stays replayable until that time has passed.
 */
function isFreshTimestamp(timestampS: number, nowMs: number): boolean {
  return Number.isFinite(timestampS) && Math.abs(nowMs / 1000 - timestampS) <= MAX_CLOCK_SKEW_S;
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
