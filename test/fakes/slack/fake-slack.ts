import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockKitProblems } from './block-kit.ts';
import { attachSocketMode } from './fake-socket-mode.ts';

/** A message as the fake workspace holds it. */
export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs: string | undefined;
  edits: number;
}

export interface ApiCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  /** The HTTP status the fake answered with. */
  status: number;
}

type Fault = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata'];

/**
 * A stateful Slack Web API on 127.0.0.1 for the real @slack/web-api client (`slackApiUrl`):
 * channels with members, messages with threads and edits, users with emails, Slack's error
 * codes (not_in_channel, message_not_found, user_not_found, invalid_auth) and injectable
 * faults (429 with Retry-After, 5xx). Anything outside /api/ is a response_url sink.
 */
export async function startFakeSlack(opts: { token?: string; appToken?: string } = {}) {
  const token = opts.token ?? 'xoxb-test';
  const appToken = opts.appToken ?? 'xapp-test';
  /** Bot tokens Slack accepts, besides `token`: issued by OAuth installs. */
  const botTokens = new Set([token]);
  /** OAuth codes the consent page would hand out: code → the installation it grants. */
  const oauthCodes = new Map<string, { teamId: string; teamName: string; botToken: string; clientId: string; clientSecret: string }>();
  let wsUrl = '';
  const calls: ApiCall[] = [];
  const responses: { path: string; body: Record<string, unknown> }[] = [];
  const messages: FakeMessage[] = [];
  const users = new Map<string, { email: string | undefined; teamId: string }>();
  const botChannels = new Set<string>();
  const faults = new Map<string, Fault[]>();
  /** Channels deleted from the workspace: every call about them answers channel_not_found. */
  const goneChannels = new Set<string>();
  /** response_url ids whose next posts fail with this HTTP status (count per id). */
  const responseFaults = new Map<string, number[]>();
  let clock = 1_700_000_000;

  const answer = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
    return status;
  };

  function api(method: string, args: Record<string, unknown>, res: http.ServerResponse): number {
    const fault = faults.get(method)?.shift();
    if (fault && 'status' in fault) {
      return fault.status === 429 ? answer(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) }) : answer(res, fault.status, { ok: false });
    }
    if (fault) return answer(res, 200, { ok: false, error: fault.error });
    const fail = (error: string) => answer(res, 200, { ok: false, error });
    if ((method === 'chat.postMessage' || method === 'chat.update') && goneChannels.has(String(args.channel))) return fail('channel_not_found');
    // Slack refuses the whole message when one block is over a limit.
    if ((method === 'chat.postMessage' || method === 'chat.update') && blockKitProblems({ text: args.text, blocks: args.blocks }).length) return fail('invalid_blocks');
    switch (method) {
      case 'oauth.v2.access': {
        const grant = oauthCodes.get(String(args.code));
        if (!grant) return fail('invalid_code');
        if (args.client_id !== grant.clientId || args.client_secret !== grant.clientSecret) return fail('invalid_client_id');
        oauthCodes.delete(String(args.code)); // single use, as in Slack
        botTokens.add(grant.botToken);
        return answer(res, 200, {
          ok: true, access_token: grant.botToken, token_type: 'bot', scope: 'commands,chat:write', bot_user_id: 'UBOT9', app_id: 'A444',
          team: { id: grant.teamId, name: grant.teamName }, enterprise: null, is_enterprise_install: false, authed_user: { id: 'UINSTALLER' },
        });
      }
      case 'apps.connections.open':
        return answer(res, 200, { ok: true, url: wsUrl });
      case 'auth.test':
        return answer(res, 200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T111' });
      case 'users.info': {
        const u = users.get(String(args.user));
        if (!u) return fail('user_not_found');
        return answer(res, 200, { ok: true, user: { id: args.user, team_id: u.teamId, profile: u.email ? { email: u.email } : {} } });
      }
      case 'chat.postMessage': {
        let channel = String(args.channel);
        // Posting to a user id opens the app's DM with them, as real Slack does.
        if (/^U/.test(channel)) channel = `D${channel.slice(1)}`;
        // A DM the app has with someone (opened by posting to their user id) takes posts too.
        else if (!botChannels.has(channel) && !(/^D/.test(channel) && messages.some((m) => m.channel === channel))) return fail(/^[CG]/.test(channel) ? 'not_in_channel' : 'channel_not_found');
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        if (threadTs && !messages.some((m) => m.channel === channel && m.ts === threadTs)) return fail('thread_not_found');
        const ts = `${clock++}.000100`;
        messages.push({ channel, ts, text: String(args.text ?? ''), blocks: (args.blocks as unknown[]) ?? [], threadTs, edits: 0 });
        return answer(res, 200, { ok: true, channel, ts, message: { ts, text: args.text } });
      }
      case 'chat.update': {
        const m = messages.find((x) => x.channel === args.channel && x.ts === args.ts);
        if (!m) return fail('message_not_found');
        m.text = String(args.text ?? '');
        m.blocks = (args.blocks as unknown[]) ?? [];
        m.edits++;
        return answer(res, 200, { ok: true, channel: m.channel, ts: m.ts, text: m.text });
      }
      default:
        return answer(res, 200, { ok: true });
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const url = req.url ?? '/';
      if (!url.startsWith('/api/')) {
        const status = responseFaults.get(url.replace(/^\/respond\//, ''))?.shift();
        if (status) {
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end('failed');
          return;
        }
        responses.push({ path: url, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      const method = url.slice(5).split('?')[0]!;
      const args: Record<string, unknown> = (req.headers['content-type'] ?? '').startsWith('application/json')
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
      for (const f of JSON_FIELDS) if (typeof args[f] === 'string') args[f] = JSON.parse(args[f]);
      const auth = req.headers.authorization;
      const sent = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      // The app-level token opens Socket Mode connections and nothing else, as in Slack.
      // oauth.v2.access authenticates with the client id and secret in the body instead.
      const allowed = method === 'apps.connections.open' ? sent === appToken : method === 'oauth.v2.access' || botTokens.has(sent ?? '');
      if (!allowed) {
        calls.push({ method, token: sent, args, status: answer(res, 200, { ok: false, error: 'invalid_auth' }) });
        return;
      }
      calls.push({ method, token: sent, args, status: api(method, args, res) });
    });
  });
  const socketMode = attachSocketMode(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  wsUrl = `ws://127.0.0.1:${port}/link`;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    responseUrl: (id: string) => `http://127.0.0.1:${port}/respond/${id}`,
    calls,
    messages,
    socketMode,
    /** Replies sent to a response_url, oldest first. */
    responsesTo: (id: string) => responses.filter((r) => r.path === `/respond/${id}`).map((r) => r.body),
    /** The next install with `code` grants `botToken` for `teamId` to the app with these credentials. */
    grantOAuth: (code: string, grant: { teamId: string; teamName: string; botToken: string; clientId: string; clientSecret: string }) => void oauthCodes.set(code, grant),
    addUser: (id: string, email: string | undefined, teamId = 'T111') => void users.set(id, { email, teamId }),
    /** The bot is a member of this channel (else posting there fails with not_in_channel). */
    joinChannel: (channel: string) => void botChannels.add(channel),
    /** The next `times` calls of `method` fail this way. */
    failNext: (method: string, fault: Fault, times = 1) => faults.set(method, [...(faults.get(method) ?? []), ...Array.from({ length: times }, () => fault)]),
    /** Someone deleted this message (Slack then answers message_not_found to edits of it). */
    deleteMessage: (channel: string, ts: string) => void messages.splice(messages.findIndex((m) => m.channel === channel && m.ts === ts), 1),
    /** The channel was deleted: posts and edits there answer channel_not_found. */
    deleteChannel: (channel: string) => void goneChannels.add(channel),
    /** The next `times` posts to this response_url id fail with `status`. */
    failResponses: (id: string, status: number, times = 1) => responseFaults.set(id, [...(responseFaults.get(id) ?? []), ...Array.from({ length: times }, () => status)]),
    /** Top-level messages (not thread replies) of a channel. */
    roots: (channel: string) => messages.filter((m) => m.channel === channel && !m.threadTs),
    thread: (channel: string, ts: string) => messages.filter((m) => m.channel === channel && m.threadTs === ts),
    close: () =>
      new Promise<void>((r) => {
        socketMode.closeAll();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
