import { listSealedSlackTokens, loadSlackInstallation, replaceSealedSlackToken } from '../../engine/slack-installations.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import type { Logger } from '../../shared/logger.ts';
import { webApi } from '@slack/bolt';
import { webClientOptions, type SlackClients, type SlackWebClient } from './clients.ts';
import type { TokenSealer } from './seal.ts';

/** A workspace's bot credentials, or undefined when it has not installed the app. */
export type TokenLookup = (teamId: string) => Promise<{ botToken: string; botUserId?: string | undefined } | undefined>;

/** One bot token for every workspace (SLACK_BOT_TOKEN). */
export const singleToken =
  (botToken: string): TokenLookup =>
  async () => ({ botToken });

/**
 * Tokens from OAuth installations in Postgres, unsealed on use (many-workspace mode), each only
 * for the workspace it was sealed for. Before the first lookup, rows sealed by older releases
 * (v1, not bound to their workspace) are re-sealed bound to the row's team id — once per
 * process; a v1 value that turns up after that was written by someone else and is refused.
 */
export function installedTokens(db: EngineDeps['db'], sealer: TokenSealer, logger: Logger): TokenLookup {
  let converted: Promise<void> | undefined;
  return async (teamId) => {
    converted ??= resealLegacyTokens(db, sealer, logger).catch((err: unknown) => {
      converted = undefined; // the database was away: try again on the next lookup
      throw err;
    });
    await converted;
    const row = await loadSlackInstallation(db, teamId);
    if (!row) return undefined;
    try {
      return { botToken: sealer.open(row.botTokenSealed, row.teamId), botUserId: row.botUserId ?? undefined };
    } catch (err) {
      logger.warn({ err, teamId }, 'slack: the stored token of this workspace does not open for it (moved, tampered with, or another client secret); reinstall the app there');
      throw err;
    }
  };
}

async function resealLegacyTokens(db: EngineDeps['db'], sealer: TokenSealer, logger: Logger): Promise<void> {
  for (const row of await listSealedSlackTokens(db)) {
    let next: string | undefined;
    try {
      next = sealer.resealLegacy(row.botTokenSealed, row.teamId);
    } catch (err) {
      logger.warn({ err, teamId: row.teamId }, 'slack: a token sealed by an older release does not open with this client secret; left as it is');
      continue;
    }
    if (next && (await replaceSealedSlackToken(db, row.teamId, row.botTokenSealed, next))) {
      logger.info({ teamId: row.teamId }, 'slack: re-sealed a stored token bound to its workspace');
    }
  }
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
