import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/main/version.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { seedOrg } from '../helpers/seed.ts';
import { createTestServer } from './helpers.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t?.close());

describe('the page at /', () => {
  it('says what the server is, its health and version, and links to the OpenAPI document and the claim flow', async () => {
    const org = await seedOrg(t.deps.db);
    const { app } = await createTestServer(t, { version: packageVersion() });
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<h1>EntryGuard</h1>');
    expect(res.body).toMatch(/class="ok">ready \(database up, worker up\)/);
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(res.body).toContain(`<dd>${version}</dd>`);
    const openapi = /href="([^"]*openapi\.json)"/.exec(res.body)?.[1];
    expect(openapi).toBe('/api/v1/openapi.json');
    expect((await app.inject({ url: openapi! })).statusCode).toBe(200);
    expect(res.body).toContain('href="#claim-flow"');
    expect(res.body).toContain('id="claim-flow"');
    // Public: nothing of any organization.
    expect(res.body).not.toContain(org.slug);
    await app.close();
  });

  it('says when it is not ready, and escapes what it prints', async () => {
    const { app } = await createTestServer(t, { version: '1.0.0<script>alert(1)</script>', readiness: async () => ({ database: true, worker: false, detail: 'secret host db.internal' }) });
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/class="bad">not ready \(database up, worker down\)/);
    expect(res.body).toContain('1.0.0&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toContain('db.internal');
    await app.close();
  });
});
