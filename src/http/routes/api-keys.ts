import { listOrgApiKeys, revokeApiKey, type ApiKeyInfo } from '../../engine/api-key-admin.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { AppError } from '../../shared/errors.ts';
import { defineRoute, type ApiRoute } from '../api/api-route.ts';
import { ApiKeyList, ApiKeysQuery, RevokeApiKeyResult } from '../api/schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toJson = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  userId: k.userId,
  userEmail: k.userEmail,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  status: k.status,
});

/** The organization's API keys for its admins: list them, revoke one (effective on its next request). */
export function apiKeyRoutes(engine: EngineDeps): ApiRoute[] {
  return [
    defineRoute({
      operationId: 'listApiKeys',
      method: 'GET',
      path: '/admin/api-keys',
      tag: 'admin',
      scope: 'api-keys:admin',
      adminOnly: true,
      status: 200,
      summary: "The organization's API keys, newest first: owner, scopes, expiry, last use (never a token)",
      query: ApiKeysQuery,
      response: ApiKeyList,
      async handle({ actor, query }) {
        const keys = await listOrgApiKeys(engine, actor, { all: query.all ?? false });
        return { items: keys.map(toJson) };
      },
    }),
    defineRoute({
      operationId: 'revokeApiKey',
      method: 'POST',
      path: '/admin/api-keys/:id/revoke',
      tag: 'admin',
      scope: 'api-keys:admin',
      adminOnly: true,
      status: 200,
      summary: 'Revoke an API key of the organization',
      description: 'The key is refused from its very next request on. Revoking a revoked key changes nothing.',
      response: RevokeApiKeyResult,
      async handle({ actor, id }) {
        if (!UUID.test(id)) throw new AppError('API_KEY_NOT_FOUND', 'No such API key.');
        const { key, alreadyRevoked } = await revokeApiKey(engine, { key: id, actor });
        return { key: toJson(key), alreadyRevoked };
      },
    }),
  ];
}
