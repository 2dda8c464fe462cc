import { Writable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWorkerLogger } from '../../src/jobs/worker.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { spawnEntryGuard } from '../helpers/entryguard-process.ts';

/** Log lines as an operator reads them: a terminal, a collector, a failing query, a busy worker. */
function capture() {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

describe('log format', () => {
  it('pretty is one readable line per event; json is one JSON object per line', () => {
    const pretty = capture();
    createLogger({ pretty: true, destination: pretty.stream }).info({ resourceId: 'r1', nested: { a: 1 } }, 'resource synced');
    expect(pretty.lines).toHaveLength(1);
    expect(pretty.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: resource synced \{.*"resourceId":"r1"/);
    const json = capture();
    createLogger({ destination: json.stream }).info({ resourceId: 'r1' }, 'resource synced');
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ level: 30, msg: 'resource synced', resourceId: 'r1' });
  });

  it('an error from the database client is its message, code and stack, not the client', async () => {
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const err = await sql`select 1 / ${0}::int as x`.catch((e: unknown) => e);
    await sql.end();
    const out = capture();
    createLogger({ destination: out.stream }).error({ err }, 'query failed');
    const line = JSON.parse(out.lines[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'PostgresError', message: 'division by zero', code: '22012' });
    expect(Object.keys(line.err).sort()).toEqual(expect.arrayContaining(['message', 'stack', 'type']));
    for (const internal of ['query', 'parameters', 'args', 'types', 'options', 'connection']) expect(line.err, internal).not.toHaveProperty(internal);
    expect(out.lines[0]!.length).toBeLessThan(2000);
  });
});

describe('graphile-worker through our logger', () => {
  const job = { id: '42', task_identifier: 'sync_resource', attempts: 1, max_attempts: 25, payload: { resourceId: 'x'.repeat(500) } };

  it('a completed job is a short debug line; a failed one an error with the error, not the job row', () => {
    const out = capture();
    const logger = toWorkerLogger(createLogger({ level: 'debug', destination: out.stream }));
    logger.info('Completed task 42 (sync_resource, 12.34ms) with success', { job, duration: 12.34, success: true });
    const failure = Object.assign(new Error('provider said no'), { code: 'E1' });
    logger.error("Failed task 42 (sync_resource, 3.00ms, attempt 1 of 25) with error 'provider said no':\n  Error: provider said no\n    at x", { failure: true, job, error: failure, duration: 3 });
    const [done, failed] = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(done).toMatchObject({ level: 20, msg: 'Completed task 42 (sync_resource, 12.34ms) with success', jobId: '42', task: 'sync_resource', ms: 12 });
    expect(out.lines[0]!.length).toBeLessThan(300);
    expect(failed).toMatchObject({ level: 50, msg: "Failed task 42 (sync_resource, 3.00ms, attempt 1 of 25) with error 'provider said no':", err: { message: 'provider said no', code: 'E1' } });
    expect(out.lines.join('\n')).not.toContain('x'.repeat(100));

    const quiet = capture();
    toWorkerLogger(createLogger({ level: 'info', destination: quiet.stream })).info('Completed task 43 (sweep) with success', { job, duration: 1, success: true });
    expect(quiet.lines).toEqual([]);
  });
});

describe('entryguard web: LOG_FORMAT and shutdown', () => {
  it('refuses a bad LOG_FORMAT with a clear line', async () => {
    const p = spawnEntryGuard(['web'], { cwd: process.cwd(), env: { DATABASE_URL: database.url, LOG_FORMAT: 'fancy' } });
    expect(await p.exited()).toBe(1);
    expect(p.output()).toMatch(/LOG_FORMAT: must be one of pretty, json/);
  }, 60_000);

  it('logs JSON into a pipe, pretty when LOG_FORMAT=pretty, and says when shutdown completed', async () => {
    const env = { DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', DEMO: 'false', LOG_LEVEL: 'info' };
    const json = spawnEntryGuard(['web'], { cwd: process.cwd(), env });
    await json.waitFor(/EntryGuard is running/, 90_000);
    expect(json.output()).toMatch(/^\{"level":30,.*"msg":"starting EntryGuard"/m);
    expect(await json.kill('SIGTERM')).toBe(0);
    expect(json.output()).toMatch(/"msg":"shutdown complete/);

    const pretty = spawnEntryGuard(['web'], { cwd: process.cwd(), env: { ...env, LOG_FORMAT: 'pretty' } });
    await pretty.waitFor(/EntryGuard is running/, 90_000);
    expect(pretty.output()).toMatch(/^\[[\d:.]+\] INFO: starting EntryGuard/m);
    expect(await pretty.kill('SIGTERM')).toBe(0);
    expect(pretty.output()).toMatch(/^\[[\d:.]+\] INFO: shutdown complete/m);
  }, 180_000);
});
