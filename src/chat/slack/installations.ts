import { loadSlackInstallation } from '../../engine/slack-installations.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { webApi } from '@slack/bolt';
import { webClientOptions, type SlackClients, type SlackWebClient } from './clients.ts';
import type { TokenSealer } from './seal.ts';

/** A workspace's bot credentials, or undefined when it has not installed the app. */
export type TokenLookup = (teamId: string) => Promise<{ botToken: string; botUserId?: string | undefined } | undefined>;

/** One bot token for every workspace (SLACK_BOT_TOKEN). */
export const singleToken =
  (botToken: string): TokenLookup =>
  async () => ({ botToken });

/** Tokens from OAuth installations in Postgres, unsealed on use (many-workspace mode). */
export function installedTokens(db: EngineDeps['db'], sealer: TokenSealer): TokenLookup {
  return async (teamId) => {
    const row = await loadSlackInstallation(db, teamId);
    return row ? { botToken: sealer.open(row.botTokenSealed), botUserId: row.botUserId ?? undefined } : undefined;
  };
}

/** Web API clients per workspace for the notifier, one per token, created on first use. */
export function clientsFor(lookup: TokenLookup, slackApiUrl?: string): SlackClients {
  const byToken = new Map<string, SlackWebClient>();
  return {
    async forTeam(teamId) {
      const found = await lookup(teamId);
      if (!found) throw new Error(`Slack workspace ${teamId} has not installed EntryGuard`);
      let client = byToken.get(found.botToken);
      if (!client) byToken.set(found.botToken, (client = new webApi.WebClient(found.botToken, webClientOptions(slackApiUrl))));
      return client;
    },
  };
}
