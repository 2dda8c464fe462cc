import type { EngineDeps } from '../../engine/deps.ts';
import { loadStartPolicy } from '../../engine/start-session.ts';
import { loadActiveUser } from '../../engine/users.ts';
import { defineRoute, type ApiRoute } from '../api/api-route.ts';
import { Me } from '../api/schemas.ts';

/** Who the key acts as and what it may start: lets a client check its key and offer durations. */
export function meRoutes(engine: EngineDeps): ApiRoute[] {
  return [
    defineRoute({
      operationId: 'getMe',
      method: 'GET',
      path: '/me',
      tag: 'meta',
      scope: null,
      status: 200,
      summary: "The key's user, its scopes and the durations it may start",
      response: Me,
      async handle({ principal, actor }) {
        const user = await loadActiveUser(engine.db, actor.orgId, actor.userId);
        const policy = await loadStartPolicy(engine.db, actor.orgId, actor.userId);
        return {
          user: { id: user.id, email: user.email, isAdmin: user.isAdmin },
          orgId: actor.orgId,
          apiKey: { id: principal.keyId, prefix: principal.keyPrefix, scopes: principal.scopes },
          durations: { offeredMinutes: policy.offered, maxTotalMinutes: policy.maxMinutes },
        };
      },
    }),
  ];
}
