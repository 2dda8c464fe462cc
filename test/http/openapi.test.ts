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

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
type Operation = { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown>; 'x-required-scope'?: string };

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
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413']));
    const audit = doc.paths['/api/v1/audit']!.get!;
    expect(audit.parameters!.map((p) => p.name)).toEqual(['action', 'actor', 'targetId', 'result', 'from', 'to', 'page', 'size']);
    expect(doc.paths['/api/v1/sessions/{id}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Session', 'SessionRule', 'Error', 'AuditEvent']));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref.replace('#/components/schemas/', ''));
  });
});
