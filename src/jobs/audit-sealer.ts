import type { Db } from '../db/client.ts';
import { sealAuditEvents } from '../engine/audit-chain.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * Seals new audit events into their organization's chain every `intervalMs` (a second: an event
 * is open to tampering without trace only that long). Runs in every worker process; sealers
 * running at once wait for each other per chain.
 */
export function startAuditSealer(opts: { db: Db; logger: Logger; intervalMs?: number }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let failing = false;
  const tick = () => {
    running = sealAuditEvents(opts.db).then(
      () => {
        if (failing) opts.logger.info('audit events are being sealed again');
        failing = false;
      },
      (err: unknown) => {
        if (!failing) opts.logger.warn({ err }, 'could not seal audit events; will keep trying');
        failing = true;
      },
    );
  };
  const timer = setInterval(tick, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      tick(); // what was written last is sealed before the process goes
      await running;
    },
  };
}
