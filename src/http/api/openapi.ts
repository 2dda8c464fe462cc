import { z } from 'zod';
import type { ApiRoute } from './api-route.ts';
import { ErrorResponse } from './schemas.ts';

/**
 * The error responses every operation documents, each with the Error schema: a client generated
 * from the document gets one error type for all of them. Some cannot happen on every operation
 * (413 and 415 need a body; 409 a state or an id prefix): their text says when they apply.
 */
const ERROR_RESPONSES: Record<number, { name: string; description: string; headers?: Record<string, unknown> }> = {
  400: { name: 'BadRequest', description: 'Invalid request: details.fields has a message per field; also a refusal such as a duration your plan does not offer (details.offeredDurations)' },
  401: { name: 'Unauthorized', description: 'Missing, unknown, revoked or expired API key' },
  403: { name: 'Forbidden', description: 'The key lacks the scope (details.requiredScope), or its user may not do this' },
  404: { name: 'NotFound', description: "No such session or key; other users' sessions answer the same, so ids cannot be probed" },
  409: { name: 'Conflict', description: 'Not possible in the current state, a limit is reached, or a session id prefix matches several sessions (details.matchingIds)' },
  413: { name: 'PayloadTooLarge', description: 'The request body is larger than allowed (operations that take a body)' },
  415: { name: 'UnsupportedMediaType', description: 'The request body is not sent as "Content-Type: application/json" (operations that take a body)' },
  429: {
    name: 'TooManyRequests',
    description: 'Too many requests from your address, or too many actions by your user; wait for Retry-After',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
  },
  500: { name: 'InternalError', description: 'Unexpected failure; quote requestId if you report it' },
};

const UUID_PARAM = { description: 'The id', schema: { type: 'string', format: 'uuid' } };

/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas the server uses
 * to validate, so the document cannot describe something the server does not do.
 */
export function buildOpenApi(routes: readonly ApiRoute[], opts: { serverUrl: string; version?: string }): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output') => {
    const raw = JSON.stringify(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
    // Named schemas (`.meta({ id })`) go to components; point their references there.
    const json = JSON.parse(raw.replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>;
    const { $schema: _ignored, $defs, ...rest } = json;
    Object.assign(components, ($defs as Record<string, unknown> | undefined) ?? {});
    return rest;
  };
  const errorRef = toSchema(ErrorResponse, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
    const query = toSchema(route.query, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    const parameters = [
      ...[...route.path.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        ...(route.idParam ? { description: route.idParam.description, schema: { type: 'string', pattern: route.idParam.pattern } } : UUID_PARAM),
      })),
      ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: query.required?.includes(name) ?? false,
        ...(schema.description ? { description: schema.description } : {}),
        schema,
      })),
    ];
    const responses: Record<string, unknown> = {
      [route.status]: { description: route.status === 201 ? 'Created' : 'OK', content: { 'application/json': { schema: toSchema(route.response, 'output') } } },
    };
    for (const [status, { name }] of Object.entries(ERROR_RESPONSES)) responses[status] = { $ref: `#/components/responses/${name}` };
    const scopeText = route.scope ? `Scope: \`${route.scope}\`.` : 'Any valid key.';
    (paths[path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, scopeText, route.adminOnly ? "The key's user must be an org admin." : undefined].filter(Boolean).join('\n\n'),
      tags: [route.tag],
      security: [{ bearer: [] }, { apiKeyHeader: [] }],
      ...(route.scope ? { 'x-required-scope': route.scope } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: false, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'EntryGuard API',
      version: opts.version ?? '1',
      description:
        'Time-bound network access. Every error has the shape of the Error schema. Bodies are JSON (`Content-Type: application/json`); ' +
        'another method on a known path is 405 with an Allow header, an unknown path 404.',
    },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      schemas: components,
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description, headers }) => [name, { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: errorRef } } }]),
      ),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer eg_live_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
