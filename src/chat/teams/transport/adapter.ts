import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type TurnContext } from 'botbuilder';
import { isLoopbackHost } from '../../../shared/ip.ts';
import { ConversationRef, type OutgoingMessage } from '../types.ts';
import { TEAMS_CLOUD_SETTINGS, type TeamsCloud } from './clouds.ts';
import { refOf, toActivity, wrapTurn, type TeamsTurn } from './turn.ts';

export interface TeamsTransportSettings {
  /** The bot's Entra app id. Unset = local mode (Agents Playground / Emulator): no JWT check, no outbound token. */
  appId?: string | undefined;
  appPassword?: string | undefined;
  /** Set for a single-tenant bot (botbuilder then requires it); unset = multi-tenant. */
  tenantId?: string | undefined;
  /** Test seams: the channel's OpenID metadata (default Microsoft's), the token issuer, and a
   *  token source for outbound calls instead of the app password (MSAL needs the internet). */
  openIdMetadataUrl?: string | undefined;
  tokenIssuer?: string | undefined;
  outboundToken?: ((audience: string) => Promise<string>) | undefined;
  /** TEAMS_CLOUD: which Bot Framework (public, or US Government for GCC High and DoD). Default public. */
  cloud?: TeamsCloud | undefined;
}

/**
 * The connector's "you cannot post there" answers (bot not in the team, channel deleted): a
 * misconfiguration that retrying will not heal. Anything else (5xx, throttling, no token) is
 * worth a retry.
 */
export const isCannotPostThere = (err: unknown): boolean => [403, 404].includes((err as { statusCode?: number }).statusCode ?? 0);

/** Teams' words for "that message or chat no longer exists" (deleted by someone, chat removed). */
const GONE_CODES = new Set(['ConversationNotFound', 'MessageNotFound', 'ActivityNotFound', 'NotFound', 'MessageNotFoundInConversation']);

/**
 * The connector's "the message (or its conversation) is gone" answers to an edit or a post: a
 * 404, or one of Teams' not-found codes whatever the status. Retrying will never succeed; the
 * notifier posts a new message instead and carries on.
 */
export function isMessageGone(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: unknown; body?: unknown; response?: { bodyAsText?: string } };
  if (e.statusCode === 404) return true;
  let body = e.body as { error?: { code?: unknown } } | undefined;
  if (!body && e.response?.bodyAsText) {
    try {
      body = JSON.parse(e.response.bodyAsText) as typeof body;
    } catch {
      body = undefined;
    }
  }
  return [e.code, body?.error?.code].some((c) => typeof c === 'string' && GONE_CODES.has(c));
}

/** What a worker does inside a stored conversation. */
export interface ProactiveConversation {
  send(msg: OutgoingMessage): Promise<string | undefined>;
  update(activityId: string, msg: OutgoingMessage): Promise<void>;
}

export interface TeamsTransport {
  readonly authEnabled: boolean;
  /** Authenticates (when an app id is set) and runs one inbound activity. 401 for a bad or missing token. */
  process(authHeader: string, body: Record<string, unknown>, logic: (turn: TeamsTurn) => Promise<void>): Promise<{ status: number; body?: unknown; reason?: string }>;
  /** Runs `fn` in a stored conversation. Any failure rejects (botbuilder would only hand it to onTurnError). */
  inConversation(ref: ConversationRef, fn: (conv: ProactiveConversation) => Promise<void>): Promise<void>;
  /** Starts a new thread in a team channel with `msg` as its root post. */
  postToChannel(p: { serviceUrl: string; tenantId: string; channelId: string }, msg: OutgoingMessage): Promise<{ ref: ConversationRef; activityId: string }>;
  /** The 1:1 chat with a user (by Teams user id `29:…`); Teams answers the existing one if there is one. */
  openPersonal(p: { serviceUrl: string; tenantId: string; userId: string }): Promise<ConversationRef>;
}

/**
 * Local mode has no token to prove where an activity came from, so replies and proactive posts
 * go only to a connector on this machine (the Agents Playground, the Emulator): an unsigned
 * activity naming some other service URL would otherwise make us send to anyone's server.
 * Thrown with status 403 so a notifier treats it as "cannot post there", not as worth a retry.
 */
function assertLocalServiceUrl(serviceUrl: unknown): void {
  let host: string | undefined;
  try {
    host = typeof serviceUrl === 'string' ? new URL(serviceUrl).hostname : undefined;
  } catch {
    host = undefined;
  }
  if (host === undefined || !isLoopbackHost(host)) {
    throw Object.assign(new Error(`Teams local mode sends only to a service URL on this machine, not ${String(serviceUrl)}`), { statusCode: 403 });
  }
}

/** CloudAdapter keeps processActivity protected; we call it directly (no express-style response shim). */
class EntryGuardAdapter extends CloudAdapter {
  runActivity(authHeader: string, activity: Activity, logic: (ctx: TurnContext) => Promise<void>) {
    return this.processActivity(authHeader, activity, logic);
  }
}

/** botbuilder reports most token problems as AuthenticationError (401) but lets jsonwebtoken's own errors (bad signature) escape. */
const isAuthFailure = (err: unknown): boolean =>
  (err as { statusCode?: number }).statusCode === 401 || ['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError'].includes((err as Error).name);

type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>;

/** Outbound calls signed with a token from `getToken` (tests; a seam for other token sources). */
function tokenCredentialsFactory(appId: string, getToken: (audience: string) => Promise<string>): CredentialsFactory {
  return {
    isValidAppId: async (id: string) => id === appId,
    isAuthenticationDisabled: async () => false,
    createCredentials: async (_appId: string, audience: string | undefined) => ({
      signRequest: async (req: { headers: { set(name: string, value: string): void } }) => {
        req.headers.set('authorization', `Bearer ${await getToken(audience ?? '')}`);
        return req;
      },
    }),
  } as unknown as CredentialsFactory;
}

/**
 * The Bot Framework side of Teams (botbuilder CloudAdapter). Inbound JWTs are validated against
 * the channel's OpenID keys, audience = app id, and the token's serviceurl claim must match the
 * activity's. Outbound calls carry the app's token (or none in local mode).
 */
export function createTeamsTransport(s: TeamsTransportSettings): TeamsTransport {
  const appId = s.appId ?? '';
  // Setting any one endpoint switches botbuilder to "all parameters are explicit", so overriding
  // the OpenID URL (tests) means passing the full set; production passes the cloud's own values.
  const endpoints = TEAMS_CLOUD_SETTINGS[s.cloud ?? 'public'].auth;
  const auth = new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: appId,
      MicrosoftAppPassword: s.appPassword ?? '',
      MicrosoftAppType: appId ? (s.tenantId ? 'SingleTenant' : 'MultiTenant') : '',
      MicrosoftAppTenantId: s.tenantId ?? '',
      ...endpoints,
      ...(s.openIdMetadataUrl ? { ToBotFromChannelOpenIdMetadataUrl: s.openIdMetadataUrl } : {}),
      ...(s.tokenIssuer ? { ToBotFromChannelTokenIssuer: s.tokenIssuer } : {}),
    },
    appId && s.outboundToken ? tokenCredentialsFactory(appId, s.outboundToken) : undefined,
  );
  const adapter = new EntryGuardAdapter(auth);
  // Never swallow: an inbound error becomes a logged 500, a proactive one fails the notify job.
  adapter.onTurnError = async (_ctx, err) => {
    throw err;
  };

  /** botbuilder may route a logic error to onTurnError and still resolve; capture it ourselves. */
  const run = async (start: (logic: (ctx: TurnContext) => Promise<void>) => Promise<void>, logic: (ctx: TurnContext) => Promise<void>) => {
    let failure: unknown;
    await start(async (ctx) => {
      try {
        await logic(ctx);
      } catch (err) {
        failure = err ?? new Error('Teams turn failed');
      }
    });
    if (failure !== undefined) throw failure;
  };

  // The token audience for new conversations: botbuilder uses an empty string as given (no default),
  // which would ask Entra for a token for "/.default".
  const audience = endpoints.ToChannelFromBotOAuthScope;
  const bot = () => ({ id: `28:${appId || 'entryguard-local'}`, name: 'EntryGuard' });

  return {
    authEnabled: !!appId,
    async process(authHeader, body, logic) {
      if (!appId) {
        try {
          assertLocalServiceUrl(body.serviceUrl);
        } catch (err) {
          return { status: 403, body: { error: (err as Error).message } };
        }
      }
      try {
        const res = await adapter.runActivity(authHeader, body as Partial<Activity> as Activity, async (ctx) => logic(wrapTurn(ctx)));
        return { status: res?.status ?? 200, body: res?.body };
      } catch (err) {
        if (isAuthFailure(err)) return { status: 401, body: { error: 'Unauthorized' }, reason: (err as Error).message };
        throw err;
      }
    },
    async inConversation(ref, fn) {
      if (!appId) assertLocalServiceUrl(ref.serviceUrl);
      await run(
        (logic) => adapter.continueConversationAsync(appId, ConversationRef.parse(ref) as never, logic),
        async (ctx) =>
          fn({
            send: async (msg) => (await ctx.sendActivity(toActivity(msg)))?.id,
            update: async (id, msg) => void (await ctx.updateActivity({ ...toActivity(msg), id })),
          }),
      );
    },
    async postToChannel(p, msg) {
      if (!appId) assertLocalServiceUrl(p.serviceUrl);
      let ref: ConversationRef | undefined;
      const params = { isGroup: true, channelData: { channel: { id: p.channelId }, tenant: { id: p.tenantId } }, activity: toActivity(msg) as Activity, bot: bot(), tenantId: p.tenantId };
      await run((logic) => adapter.createConversationAsync(appId, 'msteams', p.serviceUrl, audience, params, logic), async (ctx) => void (ref = refOf(ctx.activity)));
      // Teams names a new thread "<channel>;messageid=<root post id>": the root post is our message.
      const activityId = /;messageid=(\d+)/.exec(ref?.conversation.id ?? '')?.[1];
      if (!ref || !activityId) throw new Error(`Teams created a channel post without a message id (${ref?.conversation.id ?? 'no conversation'})`);
      return { ref: { ...ref, conversation: { ...ref.conversation, id: p.channelId } }, activityId };
    },
    async openPersonal(p) {
      if (!appId) assertLocalServiceUrl(p.serviceUrl);
      let ref: ConversationRef | undefined;
      const params = { isGroup: false, members: [{ id: p.userId, name: '' }], channelData: { tenant: { id: p.tenantId } }, bot: bot(), tenantId: p.tenantId };
      await run((logic) => adapter.createConversationAsync(appId, 'msteams', p.serviceUrl, audience, params, logic), async (ctx) => void (ref = refOf(ctx.activity)));
      if (!ref) throw new Error('Teams did not open the 1:1 chat');
      return ref;
    },
  };
}
