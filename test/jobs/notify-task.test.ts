import { randomUUID } from 'node:crypto';
import type { JobHelpers } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { ChatRetryLater, type ChatNotifier } from '../../src/engine/ports.ts';
import { createNotifySessionTask } from '../../src/jobs/tasks/notify-tasks.ts';

/** Just enough of graphile-worker's helpers to see what the task queues. */
function helpers() {
  const added: { identifier: string; payload: unknown; spec: { queueName?: string; runAt?: Date } }[] = [];
  const log = () => {};
  const h = {
    addJob: async (identifier: string, payload: unknown, spec: { queueName?: string; runAt?: Date }) => void added.push({ identifier, payload, spec }),
    logger: { warn: log, error: log, info: log, debug: log },
  } as unknown as JobHelpers;
  return { h, added };
}

const notifier = (platform: 'slack' | 'teams', fail: () => Error | undefined): ChatNotifier => ({
  platform,
  notify: async () => {
    const err = fail();
    if (err) throw err;
  },
});

describe('notify_session and a platform that says "later"', () => {
  it('queues the same notification in the session queue for after the longest Retry-After, counting deferrals', async () => {
    const sessionId = randomUUID();
    const task = createNotifySessionTask([notifier('slack', () => new ChatRetryLater(4000, 'slow down')), notifier('teams', () => new ChatRetryLater(9000, 'slow down'))]);
    const { h, added } = helpers();
    const t0 = Date.now();
    await task({ sessionId, event: 'extended', deferrals: 2 }, h);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ identifier: 'notify_session', payload: { sessionId, event: 'extended', deferrals: 3 }, spec: { queueName: `session:${sessionId}` } });
    const wait = added[0]!.spec.runAt!.getTime() - t0;
    expect(wait).toBeGreaterThanOrEqual(9000);
    expect(wait).toBeLessThan(10_000);
  });

  it('fails normally (backoff, visible) when any platform failed otherwise, or after too many deferrals', async () => {
    const sessionId = randomUUID();
    const mixed = createNotifySessionTask([notifier('slack', () => new ChatRetryLater(1000, 'slow down')), notifier('teams', () => new Error('502'))]);
    const a = helpers();
    await expect(mixed({ sessionId, event: 'started' }, a.h)).rejects.toThrow('chat notification failed on 2 platform(s)');
    expect(a.added).toEqual([]);

    const stubborn = createNotifySessionTask([notifier('slack', () => new ChatRetryLater(1000, 'slow down'))]);
    const b = helpers();
    await expect(stubborn({ sessionId, event: 'started', deferrals: 10 }, b.h)).rejects.toThrow('chat notification failed');
    expect(b.added).toEqual([]);
  });
});

describe('notify_session and /metrics', () => {
  it('counts a failure per platform that failed, not a platform that only said "later"', async () => {
    const failed: string[] = [];
    const task = createNotifySessionTask(
      [notifier('slack', () => new ChatRetryLater(1000, 'slow down')), notifier('teams', () => new Error('502'))],
      (platform) => failed.push(platform),
    );
    await expect(task({ sessionId: randomUUID(), event: 'started' }, helpers().h)).rejects.toThrow('chat notification failed');
    expect(failed).toEqual(['teams']);
  });
});
