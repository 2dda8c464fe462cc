import type { FastifyRequest } from 'fastify';
import { EVENTS_PATH } from '../chat/slack/ids.ts';
import { MESSAGES_PATH } from '../chat/teams/ids.ts';
import { readApiKey } from './api/auth.ts';

/** The reasons `entryguard_auth_rejected_total` counts by. */
export type AuthRejection = 'slack_signature' | 'teams_token' | 'api_key_missing' | 'api_key_invalid' | 'metrics_token' | 'other';

/**
 * Why a request was turned away before anyone was identified, or undefined when it was not.
 * Such requests (forged or stale Slack signatures, bad Bot Framework tokens, missing or wrong
 * API keys) name nobody we know, so they are counted in metrics rather than written to an
 * organization's audit trail, which anyone on the internet could otherwise fill. Each endpoint
 * answers 401 for exactly this and nothing else, so the route tells the reason.
 */
export function authRejection(request: FastifyRequest, statusCode: number, route: string): AuthRejection | undefined {
  if (statusCode !== 401) return undefined;
  if (route === EVENTS_PATH) return 'slack_signature';
  if (route === MESSAGES_PATH) return 'teams_token';
  if (route === '/metrics') return 'metrics_token';
  if (route.startsWith('/api/v1/')) return readApiKey(request) ? 'api_key_invalid' : 'api_key_missing';
  return 'other';
}
