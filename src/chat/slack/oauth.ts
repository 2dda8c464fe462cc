import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EngineDeps } from '../../engine/deps.ts';
import { saveSlackInstallation } from '../../engine/slack-installations.ts';
import type { Logger } from '../../shared/logger.ts';
import { webClientOptions } from './clients.ts';
import { BOT_SCOPES } from './ids.ts';
import type { TokenSealer } from './seal.ts';

export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';
const STATE_COOKIE = 'eg_slack_oauth';
const STATE_TTL_S = 600;

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  publicUrl: string;
  slackApiUrl?: string | undefined;
  /** Slack's consent page; tests point it elsewhere (only the redirect's Location is checked). */
  authorizeUrl?: string;
}

const Callback = z.union([z.object({ code: z.string().min(1), state: z.string().min(1) }), z.object({ error: z.string() })]);

/**
 * Slack's OAuth v2 install flow for many workspaces: /slack/install sends the browser to Slack's
 * consent page with a signed, expiring `state` also pinned in a cookie (so a stolen link cannot
 * complete someone else's install); /slack/oauth_redirect checks both, trades the code for a bot
 * token (oauth.v2.access) and stores the installation sealed, bound to the org its team id is
 * bound to in the org file.
 */
export function oauthRoutes(deps: { db: EngineDeps['db']; logger: Logger; sealer: TokenSealer }, s: OAuthSettings): FastifyPluginAsync {
  const stateKey = createHmac('sha256', s.clientSecret).update('slack-oauth-state').digest();
  const redirectUri = `${s.publicUrl.replace(/\/$/, '')}${REDIRECT_PATH}`;
  const secure = s.publicUrl.startsWith('https:') ? '; Secure' : '';
  const sign = (v: string) => createHmac('sha256', stateKey).update(v).digest('base64url');

  return async (f) => {
    f.get(INSTALL_PATH, async (_req, reply) => {
      const nonce = randomBytes(16).toString('base64url');
      const body = `${nonce}.${Math.floor(Date.now() / 1000) + STATE_TTL_S}`;
      const url = new URL(s.authorizeUrl ?? 'https://slack.com/oauth/v2/authorize');
      url.search = new URLSearchParams({ client_id: s.clientId, scope: BOT_SCOPES.join(','), redirect_uri: redirectUri, state: `${body}.${sign(body)}` }).toString();
      return reply
        .header('set-cookie', `${STATE_COOKIE}=${nonce}; Path=/slack; HttpOnly; SameSite=Lax; Max-Age=${STATE_TTL_S}${secure}`)
        .header('cache-control', 'no-store')
        .redirect(url.toString(), 302);
    });

    f.get(REDIRECT_PATH, async (req, reply) => {
      const q = Callback.safeParse(req.query);
      if (!q.success || 'error' in q.data) return page(reply, 400, 'The installation was cancelled or Slack reported an error. Start again from the install link.');
      if (!validState(q.data.state, cookie(req.headers.cookie, STATE_COOKIE))) return page(reply, 400, 'This install link has expired or was opened in another browser. Start again from the install link.');
      const client = new webApi.WebClient(undefined, webClientOptions(s.slackApiUrl));
      let res: webApi.OauthV2AccessResponse;
      try {
        res = await client.oauth.v2.access({ client_id: s.clientId, client_secret: s.clientSecret, code: q.data.code, redirect_uri: redirectUri });
      } catch (err) {
        deps.logger.warn({ err }, 'slack: oauth.v2.access failed');
        return page(reply, 400, 'Slack did not accept this installation. Start again from the install link.');
      }
      const teamId = res.is_enterprise_install ? res.enterprise?.id : res.team?.id;
      if (!res.access_token || !teamId) return page(reply, 400, 'Slack did not return a bot token. Start again from the install link.');
      const { orgId } = await saveSlackInstallation(deps.db, {
        teamId,
        teamName: res.team?.name ?? res.enterprise?.name,
        enterpriseId: res.enterprise?.id,
        appId: res.app_id,
        botUserId: res.bot_user_id,
        botTokenSealed: deps.sealer.seal(res.access_token, teamId),
        scopes: res.scope ?? '',
        installedBy: res.authed_user?.id,
      });
      deps.logger.info({ teamId, orgId }, 'slack: installed');
      const clear = `${STATE_COOKIE}=; Path=/slack; HttpOnly; SameSite=Lax; Max-Age=0${secure}`;
      void reply.header('set-cookie', clear);
      return page(
        reply,
        200,
        orgId
          ? `EntryGuard is installed in ${res.team?.name ?? teamId}. Type /entryguard help in Slack.`
          : `EntryGuard is installed in ${res.team?.name ?? teamId}, but this workspace (${teamId}) is not bound to an organization yet: an admin adds it under chat.slack.teamIds in the org file.`,
      );
    });
  };

  function validState(state: string, nonceCookie: string | undefined): boolean {
    const [nonce, exp, mac] = state.split('.');
    if (!nonce || !exp || !mac || nonce !== nonceCookie) return false;
    const want = Buffer.from(sign(`${nonce}.${exp}`));
    const got = Buffer.from(mac);
    return want.length === got.length && timingSafeEqual(want, got) && Number(exp) * 1000 > Date.now();
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, message: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'")
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>EntryGuard for Slack</title><p>${escapeHtml(message)}</p></html>`);
}
