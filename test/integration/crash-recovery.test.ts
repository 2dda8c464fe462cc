import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { findDeadLockers } from '../../src/db/worker-locks.ts';
import { postSession } from '../bench/fixtures.ts';
import { waitUntil } from '../helpers/entryguard-process.ts';
import { createProcessLab, type ProcessLab } from '../helpers/process-lab.ts';
import { readCalls } from '../helpers/slow-allowlist.ts';

/*
 * "Nothing left open" across a crash, with the real CLI: a firewall whose commands take 3 s,
 * `entryguard start` killed while one is in flight. The dead worker's locks must not hold that
 * firewall, and a rule it wrote without recording must still be removed when its session ends.
 */
let lab: ProcessLab;
beforeAll(async () => {
  lab = await createProcessLab({ people: 6, firewalls: 1, delaySeconds: 3 });
});
afterAll(() => lab?.close());
// A test that fails half-way must not leave its processes working for the next one.
afterEach(() => lab?.killAll());

const stateOf = async (id: string) => (await lab.database.db.select({ state: sessions.state }).from(sessions).where(eq(sessions.id, id)))[0]?.state;
const fw = () => lab.firewalls[0]!;
const inFlight = (cidr: string, pid: number) => readCalls(lab.dir, fw().name).some((c) => c.cidr === cidr && c.pid === pid && c.end === undefined);
const actor = (p: ProcessLab['people'][number]) => ({ type: 'user' as const, orgId: p.orgId, userId: p.id, label: p.email });

describe('a crash in the middle of a provider call', () => {
  it('kill -9 mid-apply, session stopped while no worker runs: the rule the dead process wrote is removed after the restart', { timeout: 180_000 }, async () => {
    const alice = lab.people[0]!;
    const first = await lab.spawn('start');
    const session = await postSession(first.baseUrl!, alice.key, alice.ip);
    await waitUntil('the apply to be in flight', () => inFlight(`${alice.ip}/32`, first.pid));
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill('SIGKILL');
    // The orphaned command still finishes: the address is in the firewall, with no record of it but an intent.
    await waitUntil('the orphaned apply to finish', () => lab.allowlist(fw().name).includes(`${alice.ip}/32`));
    await stopSession(lab.deps, { sessionId: session.id, actor: actor(alice) });

    const second = await lab.spawn('start');
    await waitUntil('the address to be removed', () => !lab.allowlist(fw().name).includes(`${alice.ip}/32`), 30_000);
    await waitUntil('the session to end', async () => (await stateOf(session.id)) === 'CANCELLED', 30_000);
    expect(second.output()).toMatch(/held by dead worker/);
    expect(await findDeadLockers(lab.database.db)).toEqual([]);
    await second.kill('SIGTERM');
  });

  it('kill -9 mid-apply, restart: the firewall is not held by the dead worker; new sessions open within 30 s', { timeout: 180_000 }, async () => {
    const [bob, carol] = [lab.people[1]!, lab.people[2]!];
    const first = await lab.spawn('start');
    const s1 = await postSession(first.baseUrl!, bob.key, bob.ip);
    await waitUntil('the apply to be in flight', () => inFlight(`${bob.ip}/32`, first.pid));
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill('SIGKILL');

    const second = await lab.spawn('start');
    const restarted = Date.now();
    const s2 = await postSession(second.baseUrl!, carol.key, carol.ip);
    await waitUntil('both sessions to be ACTIVE', async () => (await stateOf(s1.id)) === 'ACTIVE' && (await stateOf(s2.id)) === 'ACTIVE', 30_000);
    expect(Date.now() - restarted).toBeLessThan(30_000);
    expect(lab.allowlist(fw().name)).toEqual(expect.arrayContaining([`${bob.ip}/32`, `${carol.ip}/32`]));
    await second.kill('SIGTERM');
  });

  it('SIGTERM mid-apply: the call finishes, its outcome is recorded, nothing stays locked, and the process exits 0', { timeout: 180_000 }, async () => {
    const dave = lab.people[3]!;
    const p = await lab.spawn('start');
    const session = await postSession(p.baseUrl!, dave.key, dave.ip);
    await waitUntil('the apply to be in flight', () => inFlight(`${dave.ip}/32`, p.pid));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await p.kill('SIGTERM')).toBe(0);
    expect(p.output()).toMatch(/shutdown complete/);
    expect(await lab.locked()).toEqual({ jobs: 0, queues: 0 });
    expect(await stateOf(session.id)).toBe('ACTIVE');
  });
});
