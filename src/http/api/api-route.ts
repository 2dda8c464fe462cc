import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiScope } from '../../engine/api-keys.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { validationError } from '../errors.ts';
import { authenticate, type ApiCaller } from './auth.ts';
import { EmptyBody, EmptyQuery } from './schemas.ts';

export interface ApiContext<B, Q> extends ApiCaller {
  body: B;
  query: Q;
  /** The `:id` path parameter, when the route has one. */
  id: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** Everything the OpenAPI document needs about a route, plus its handler. */
export interface ApiRoute {
  /** Stable name of the operation in the OpenAPI document (client generators name methods after it). */
  operationId: string;
  method: 'GET' | 'POST';
  /** Relative to /api/v1, in fastify syntax (`/sessions/:id`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** The scope the key needs; null = any valid key. */
  scope: ApiScope | null;
  /** Also requires the key's user to be an org admin (said in the docs; enforced by the engine). */
  adminOnly?: boolean;
  body?: z.ZodType;
  query: z.ZodType;
  response: z.ZodType;
  status: 200 | 201;
  /** How the `:id` path parameter is documented; default: a UUID. */
  idParam?: { description: string; pattern: string };
  handle(ctx: ApiContext<unknown, unknown>): Promise<unknown>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Declares a route with its schemas; the handler's input types come from the schemas and its
 * result must match the documented response.
 */
export function defineRoute<R extends z.ZodType, B extends z.ZodType | undefined = undefined, Q extends z.ZodType = typeof EmptyQuery>(
  spec: Omit<ApiRoute, 'handle' | 'body' | 'query' | 'response'> & {
    body?: B;
    query?: Q;
    response: R;
    handle(ctx: ApiContext<Out<B>, z.output<Q>>): Promise<z.input<R>>;
  },
): ApiRoute {
  const body = spec.body ?? (spec.method === 'POST' ? EmptyBody : undefined);
  return { ...spec, body, query: spec.query ?? EmptyQuery, handle: spec.handle as ApiRoute['handle'] };
}

/** Registers routes on a fastify instance (already prefixed with /api/v1). */
export function registerApiRoutes(app: FastifyInstance, routes: readonly ApiRoute[], engine: EngineDeps): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const caller = await authenticate(request, engine, route.scope);
        const query = parse(route.query, request.query ?? {}, 'query');
        // No body, or an empty one, means "all defaults" (clients often send nothing to /stop).
        const body = route.body ? parse(route.body, request.body ?? {}, 'body') : undefined;
        const id = (request.params as { id?: string }).id ?? '';
        const result = await route.handle({ ...caller, body, query, id, request, reply });
        return reply.code(route.status).header('cache-control', 'no-store').send(result);
      },
    });
  }
}

function parse(schema: z.ZodType, input: unknown, where: 'body' | 'query'): unknown {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error.issues, where);
  return result.data;
}
