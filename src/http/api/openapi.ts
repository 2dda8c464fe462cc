import { z } from 'zod';
import type { ApiRoute } from './api-route.ts';
import { ErrorResponse } from './schemas.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request (details.fields has a message per field) or a refusal such as a duration outside the plan',
  401: 'Missing, unknown, revoked or expired API key',
  403: 'The key lacks the scope, or the user may not do this',
  404: 'No such session (also for sessions of other users)',
  409: 'Not possible in the current state, or a limit is reached',
  413: 'Request body too large',
};

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
      ...[...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', format: 'uuid' } })),
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
    for (const status of route.body ? [...route.errors, 413] : route.errors) {
      responses[status] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: errorRef } } };
    }
    const scopeText = route.scope ? `Scope: \`${route.scope}\`.` : 'Any valid key.';
    (paths[path] ??= {})[route.method.toLowerCase()] = {
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
      description: 'Time-bound network access. Every error has the shape of the Error schema.',
    },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer eg_live_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
