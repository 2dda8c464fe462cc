import type { FastifyInstance } from 'fastify';
import type { SyncDeps } from '../../engine/deps.ts';
import { registerApiRoutes, type ApiRoute } from '../api/api-route.ts';
import { buildOpenApi } from '../api/openapi.ts';
import { adminRoutes } from './api-admin.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { checkRoutes } from './api-check.ts';
import { meRoutes } from './api-me.ts';
import { sessionRoutes } from './api-sessions.ts';

/** Every REST route, in one table: registered from it and documented from it. */
export function apiRouteTable(engine: SyncDeps): ApiRoute[] {
  return [...sessionRoutes(engine), ...checkRoutes(engine), ...adminRoutes(engine), ...apiKeyRoutes(engine), ...meRoutes(engine)];
}

/** The REST API v1; register with `prefix: '/api/v1'`. */
export async function apiRoutes(app: FastifyInstance, opts: { engine: SyncDeps; publicUrl: string }): Promise<void> {
  const routes = apiRouteTable(opts.engine);
  registerApiRoutes(app, routes, opts.engine);
  // Built once: it only depends on the route table.
  const document = buildOpenApi(routes, { serverUrl: opts.publicUrl.replace(/\/+$/, '') });
  app.get('/openapi.json', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(document));
}
