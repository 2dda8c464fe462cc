import { createHmac } from 'node:crypto';

/** Headers of a request signed as Slack signs it (v0 HMAC-SHA256 over `v0:<ts>:<body>`). */
export function slackHeaders(secret: string, body: string, opts: { ts?: number; retryNum?: number } = {}): Record<string, string> {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex'),
  };
  if (opts.retryNum) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return headers;
}

let trigger = 0;

/** A slash command as Slack POSTs it (form fields). */
export function slashCommandBody(f: { text: string; user: string; channel?: string; channelName?: string; team?: string; responseUrl: string; triggerId?: string }): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: f.team ?? 'T111',
    team_domain: 'acme',
    channel_id: f.channel ?? 'C222',
    channel_name: f.channelName ?? 'ops',
    user_id: f.user,
    user_name: f.user.toLowerCase(),
    command: '/entryguard',
    text: f.text,
    api_app_id: 'A444',
    is_enterprise_install: 'false',
    trigger_id: f.triggerId ?? `1337.${++trigger}.abcdef`,
    response_url: f.responseUrl,
  }).toString();
}

/** A button click (block_actions): one form field `payload` holding JSON. */
export function blockActionsBody(p: { actionId: string; value: string; user: string; channel: string; messageTs: string; responseUrl: string; team?: string; actionTs?: string; select?: boolean }): string {
  const team = p.team ?? 'T111';
  const payload = {
    type: 'block_actions',
    user: { id: p.user, username: p.user.toLowerCase(), name: p.user.toLowerCase(), team_id: team },
    api_app_id: 'A444',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: p.messageTs, channel_id: p.channel, is_ephemeral: false },
    trigger_id: `1337.${++trigger}.abcdef`,
    team: { id: team, domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: p.channel, name: 'ops' },
    message: { type: 'message', user: 'UBOT', ts: p.messageTs, bot_id: 'BBOT', text: 'EntryGuard', blocks: [] },
    state: { values: {} },
    response_url: p.responseUrl,
    actions: [
      p.select
        ? { action_id: p.actionId, block_id: 'session_controls', type: 'static_select', selected_option: { text: { type: 'plain_text', text: p.actionId }, value: p.value }, action_ts: p.actionTs ?? `${Date.now() / 1000}${++trigger}` }
        : { action_id: p.actionId, block_id: 'session_controls', text: { type: 'plain_text', text: p.actionId }, value: p.value, type: 'button', action_ts: p.actionTs ?? `${Date.now() / 1000}${++trigger}` },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
