import type { webApi } from '@slack/bolt';

export type SlackWebClient = webApi.WebClient;

/** A Web API client for a workspace: one bot token today; installations from OAuth later. */
export interface SlackClients {
  /** Throws when the workspace is not installed. */
  forTeam(teamId: string): Promise<SlackWebClient>;
}

/**
 * Client options for background work: no retries inside the client and 429s rejected at once,
 * because the notify_session job retries with backoff and survives restarts; a client that
 * slept through a Retry-After would hold a worker slot and lose its place on a crash.
 */
export function webClientOptions(slackApiUrl: string | undefined): webApi.WebClientOptions {
  return { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, ...(slackApiUrl ? { slackApiUrl } : {}) };
}

/** Slack's error code of a failed Web API call (`not_in_channel` …), if it was a platform error. */
/** How long Slack asked us to wait, when `err` is its 429 (the client rejects those at once, see above). */
export function slackRetryAfterMs(err: unknown): number | undefined {
  const e = err as { code?: unknown; retryAfter?: unknown } | undefined;
  if (e?.code !== 'slack_webapi_rate_limited_error' || typeof e.retryAfter !== 'number') return undefined;
  return Math.max(1, e.retryAfter) * 1000;
}

export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
