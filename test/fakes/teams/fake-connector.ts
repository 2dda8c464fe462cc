import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  /** Path with the conversation id decoded. */
  path: string;
  auth: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface PostedMessage {
  conversationId: string;
  id: string;
  /** Every version of the message, newest last (PUTs append). */
  versions: Record<string, unknown>[];
}

/**
 * A Bot Framework connector (the `serviceUrl` Teams gives the bot) on 127.0.0.1, keeping state
 * like the real one: messages per conversation with their edits, channel threads created by
 * POST /v3/conversations ("<channel>;messageid=<root id>"), 1:1 chats, member lookups (404 for
 * strangers), and injectable faults.
 */
export async function startFakeConnector() {
  const calls: ConnectorCall[] = [];
  const messages = new Map<string, PostedMessage>();
  const members = new Map<string, Record<string, unknown>>();
  const faults: { method: string; status: number; retryAfter?: number }[] = [];
  const notIn = new Set<string>();
  const deleted = new Set<string>();
  let n = 1000;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      const path = decodeURIComponent(req.url ?? '/');
      const method = req.method ?? 'GET';
      calls.push({ method, path, auth: req.headers.authorization, body });
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      const fault = faults.findIndex((f) => f.method === method);
      if (fault >= 0) {
        const [f] = faults.splice(fault, 1);
        return send(f!.status, { error: { code: 'ServiceError', message: 'injected fault' } }, f!.retryAfter !== undefined ? { 'retry-after': String(f!.retryAfter) } : {});
      }
      if (method === 'POST' && path.endsWith('/v3/conversations')) {
        const id = String(n++);
        const channel = (body?.channelData as { channel?: { id?: string } } | undefined)?.channel?.id;
        if (channel && notIn.has(channel)) return send(403, { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } });
        if (channel) {
          const conversationId = `${channel};messageid=${id}`;
          messages.set(id, { conversationId: channel, id, versions: [body?.activity as Record<string, unknown>] });
          return send(201, { id: conversationId, activityId: id });
        }
        const user = (body?.members as { id: string }[] | undefined)?.[0]?.id ?? 'unknown';
        return send(201, { id: `a:personal-${user}`, activityId: id });
      }
      const member = /\/v3\/conversations\/[^/]+\/members\/(.+)$/.exec(path);
      if (method === 'GET' && member) {
        const m = members.get(member[1]!);
        return m ? send(200, m) : send(404, { error: { code: 'MemberNotFoundInConversation', message: 'not a member' } });
      }
      const activity = /\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
      if (activity && method === 'POST') {
        const id = String(n++);
        messages.set(id, { conversationId: activity[1]!, id, versions: [body ?? {}] });
        return send(200, { id });
      }
      if (activity && method === 'PUT') {
        if (deleted.has(activity[2] ?? '')) return send(404, { error: { code: 'MessageNotFound', message: 'The message was deleted.' } });
        const m = messages.get(activity[2] ?? '');
        if (!m) return send(404, { error: { code: 'ActivityNotFound', message: 'no such activity' } });
        m.versions.push(body ?? {});
        return send(200, { id: m.id });
      }
      return send(404, { error: { code: 'NotFound', message: `${method} ${path}` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    serviceUrl,
    calls,
    messages,
    /** A Teams user the member lookup knows (by `29:` id). */
    addMember(teamsId: string, p: { aadObjectId: string; email: string; name?: string }) {
      members.set(teamsId, { id: teamsId, aadObjectId: p.aadObjectId, email: p.email, userPrincipalName: p.email, name: p.name ?? p.email });
    },
    /** Channel posts there answer 403, as when the app is not installed in that team. */
    botNotIn(channelId: string) {
      notIn.add(channelId);
    },
    /** Someone deleted this message in Teams: it is gone from the chat, and edits answer 404 MessageNotFound. */
    deleteMessage(id: string) {
      deleted.add(id);
      messages.delete(id);
    },
    /** The next `count` calls with this method answer `status` (with a Retry-After header when given). */
    failNext(method: 'POST' | 'PUT', status: number, count = 1, retryAfter?: number) {
      for (let i = 0; i < count; i++) faults.push({ method, status, ...(retryAfter !== undefined ? { retryAfter } : {}) });
    },
    /** Messages in a conversation (a 1:1 chat id, a thread id or a channel id), oldest first. */
    in(conversationId: string): PostedMessage[] {
      return [...messages.values()].filter((m) => m.conversationId === conversationId);
    },
    latest(m: PostedMessage): Record<string, unknown> {
      return m.versions[m.versions.length - 1]!;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type FakeConnector = Awaited<ReturnType<typeof startFakeConnector>>;

/** The Adaptive Card in a message, if any. */
export const cardIn = (activity: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  (activity?.attachments as { content?: Record<string, unknown> }[] | undefined)?.[0]?.content;
