import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import { postSession } from '../bench/fixtures.ts';
import { waitUntil } from '../helpers/entryguard-process.ts';
import { createProcessLab, type LabProcess, type ProcessLab } from '../helpers/process-lab.ts';
import { overlappingCalls, readCalls } from '../helpers/slow-allowlist.ts';

/*
 * Two web and two worker processes on one Postgres, 40 people on 10 script firewalls. One worker
 * is killed (-9) while it is applying: the other releases what it held within seconds, says so,
 * and every firewall converges; stopping every session then empties every firewall. No two
 * calls on one firewall ever overlap, except those of the killed process, which die with it.
 */
let lab: ProcessLab;
beforeAll(async () => {
  lab = await createProcessLab({ people: 40, firewalls: 10, delaySeconds: 0.1 });
});
afterAll(() => lab?.close());

const states = async (ids: string[]) => (await lab.database.db.select({ state: sessions.state }).from(sessions).where(inArray(sessions.id, ids))).map((s) => s.state);

describe('several processes, one worker killed', () => {
  it('converges, releases the dead worker’s locks within seconds, and leaves nothing behind', { timeout: 300_000 }, async () => {
    const [web1, web2, workerA, workerB] = await Promise.all([lab.spawn('web'), lab.spawn('web'), lab.spawn('worker'), lab.spawn('worker')]) as [LabProcess, LabProcess, LabProcess, LabProcess];
    const webs = [web1, web2];
    const started = await Promise.all(lab.people.map((p, i) => postSession(webs[i % 2]!.baseUrl!, p.key, p.ip)));
    const ids = started.map((s) => s.id);

    await waitUntil('worker A to be inside a provider call', () => lab.firewalls.some((f) => readCalls(lab.dir, f.name).some((c) => c.pid === workerA.pid && c.end === undefined)), 60_000, 20);
    await workerA.kill('SIGKILL');
    const killedAt = Date.now();

    await waitUntil('every session to be ACTIVE', async () => (await states(ids)).every((s) => s === 'ACTIVE'), 60_000, 200);
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    await workerB.waitFor(/released \d+ job\(s\) and \d+ queue\(s\) held by dead worker egw-/, 30_000);
    for (const f of lab.firewalls) expect(lab.allowlist(f.name)).toEqual(lab.people.map((p) => `${p.ip}/32`).sort());
    expect(await lab.locked()).toMatchObject({ queues: 0 });
    const ready = await fetch(`${web1.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ heldByDeadWorkers: 0 });

    await Promise.all(
      lab.people.map((p, i) =>
        fetch(`${webs[i % 2]!.baseUrl}/api/v1/sessions/${ids[i]}/stop`, { method: 'POST', headers: { authorization: `Bearer ${p.key}` } }).then((r) => expect(r.status).toBe(200)),
      ),
    );
    await waitUntil('every firewall to be empty', () => lab.firewalls.every((f) => lab.allowlist(f.name).length === 0), 60_000, 200);
    await waitUntil('every session to end', async () => (await states(ids)).every((s) => s === 'CANCELLED'), 30_000, 200);

    const overlaps = lab.firewalls.flatMap((f) => overlappingCalls(readCalls(lab.dir, f.name), new Set([workerA.pid])));
    expect(overlaps).toEqual([]);
    await Promise.all([web1, web2, workerB].map((p) => p.kill('SIGTERM')));
  });
});
