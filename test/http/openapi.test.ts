import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestServer } from './helpers.ts';

let app: FastifyInstance;
useTestServer(async (_engine, server) => {
  app = server;
});

const EXPECTED = [
  'POST /api/v1/sessions',
  'GET /api/v1/sessions',
  'GET /api/v1/sessions/{id}',
  'POST /api/v1/sessions/{id}/stop',
  'POST /api/v1/sessions/{id}/extend',
  'GET /api/v1/sessions/{id}/check',
  'POST /api/v1/sessions/{id}/address',
  'POST /api/v1/sessions/{id}/approval',
  'GET /api/v1/admin/sessions',
  'POST /api/v1/admin/sessions/{id}/stop',
  'GET /api/v1/audit',
  'GET /api/v1/admin/api-keys',
  'POST /api/v1/admin/api-keys/{id}/revoke',
  'GET /api/v1/me',
];

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; responses: Record<string, Response> } };
type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: unknown;
  responses: Record<string, Response | { $ref: string }>;
  'x-required-scope'?: string;
};
type Response = { description: string; content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> };

/** The statuses every operation documents with the Error schema (issue 13). */
const ERROR_STATUSES = ['401', '403', '404', '409', '413', '415', '429'];

describe('GET /api/v1/openapi.json', () => {
  it('is a JSON OpenAPI 3.1 document listing every API route, and only routes that exist', async () => {
    const res = await app.inject({ url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([...EXPECTED].sort());
    for (const entry of documented) {
      const [method, path] = entry.split(' ') as [string, string];
      expect(app.hasRoute({ method: method as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), entry).toBe(true);
    }
  });

  it('documents bodies, query parameters, scopes and errors from the zod schemas; every $ref resolves', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as Doc;
    const start = doc.paths['/api/v1/sessions']!.post!;
    expect(start['x-required-scope']).toBe('sessions:write');
    expect(JSON.stringify(start.requestBody)).toContain('durationHours');
    expect(JSON.stringify(start.requestBody)).not.toMatch(/ipv4|ipAddress/);
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413', '415', '429']));
    const audit = doc.paths['/api/v1/audit']!.get!;
    expect(audit.parameters!.map((p) => p.name)).toEqual(['action', 'actor', 'targetId', 'result', 'from', 'to', 'page', 'size']);
    expect(doc.paths['/api/v1/sessions/{id}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Session', 'SessionRule', 'Error', 'AuditEvent']));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const [, section, name] = /^#\/components\/(schemas|responses)\/(\w+)$/.exec(ref) ?? [];
      expect(section && doc.components[section as 'schemas' | 'responses'], ref).toHaveProperty(name!);
    }
  });

  it('every operation has a unique operationId and documents 401, 403, 404, 409, 413, 415 and 429 with the Error schema', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as Doc;
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        ids.push(op.operationId!);
        for (const status of ERROR_STATUSES) {
          let response = op.responses[status];
          expect(response, `${where} ${status}`).toBeDefined();
          if (response && '$ref' in response) response = doc.components.responses[response.$ref.replace('#/components/responses/', '')];
          expect((response as Response | undefined)?.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
          expect((response as Response).description.length, `${where} ${status}`).toBeGreaterThan(10);
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['startSession', 'getSession', 'extendSession', 'stopSession']));
  });

  it('documents session ids as full ids or prefixes, the 429 Retry-After header, and the deprecated extend fields', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as Doc;
    const param = doc.paths['/api/v1/sessions/{id}']!.get!.parameters![0]!;
    expect(JSON.stringify(param)).toContain('prefix');
    expect(new RegExp(param.schema.pattern as string).test('abcd1234')).toBe(true);
    expect(doc.components.responses.TooManyRequests!.headers).toHaveProperty('Retry-After');
    const extend = JSON.stringify(doc.paths['/api/v1/sessions/{id}/extend']!.post!.requestBody);
    expect(extend).toContain('"duration"');
    expect(extend).toMatch(/"additionalHours":\{[^}]*"deprecated":true/);
  });
});
