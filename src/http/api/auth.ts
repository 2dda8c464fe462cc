import type { FastifyRequest } from 'fastify';
import { authenticateApiKey, type ApiKeyPrincipal, type ApiScope } from '../../engine/api-keys.ts';
import type { UserActor } from '../../engine/powers.ts';
import { recordAudit } from '../../engine/audit.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { AppError } from '../../shared/errors.ts';

/** The engine actor for a request made with an API key: the key's owner, through that key, with the powers its scopes grant. */
export type ApiActor = UserActor & { powers: NonNullable<UserActor['powers']> };

export interface ApiCaller {
  principal: ApiKeyPrincipal;
  actor: ApiActor;
}

/** `Authorization: Bearer eg_live_…` or `X-API-Key: eg_live_…`. */
export function readApiKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1];
  }
  const key = request.headers['x-api-key'];
  return typeof key === 'string' && key.trim() ? key.trim() : undefined;
}

/**
 * Authenticates the request's key and checks one scope. No key or a bad one → 401 (the same
 * answer for unknown, revoked and expired keys; counted in metrics, see auth-rejections.ts); a
 * valid key without the scope → 403 naming it, and an API_REQUEST refusal in the audit trail.
 */
export async function authenticate(request: FastifyRequest, engine: Pick<EngineDeps, 'db' | 'clock'>, scope: ApiScope | null): Promise<ApiCaller> {
  const token = readApiKey(request);
  if (!token) throw new AppError('UNAUTHORIZED', 'Send an API key: "Authorization: Bearer eg_live_…" or "X-API-Key: eg_live_…".');
  const principal = await authenticateApiKey(engine.db, engine.clock, token);
  const actor: ApiActor = {
    type: 'api_key',
    orgId: principal.orgId,
    userId: principal.userId,
    apiKeyId: principal.keyId,
    // The audit row keeps the key id as actor id; the label says whose key it was.
    label: `${principal.email} (api-key:${principal.keyPrefix})`,
    ip: request.clientIp,
    // The user's admin and approver powers reach other people's sessions only through the scopes for them.
    powers: { sessionAdmin: principal.scopes.includes('sessions:admin'), approver: principal.scopes.includes('approvals:write') },
  };
  if (scope && !principal.scopes.includes(scope)) {
    // A known key asked for more than it may: the key's owner is in the audit trail for it.
    await recordAudit(engine.db, actor, {
      action: 'API_REQUEST',
      result: 'DENIED',
      targetType: 'route',
      targetId: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      details: { code: 'FORBIDDEN', requiredScope: scope, keyScopes: principal.scopes },
    });
    throw new AppError('FORBIDDEN', `This API key lacks the scope "${scope}".`, { details: { requiredScope: scope } });
  }
  return { principal, actor };
}
