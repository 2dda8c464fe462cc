import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../shared/logger.ts';

/**
 * Bolt's logger interface over the project's pino logger, so Slack lines carry the same
 * redaction and format. Bolt's own level setting is ignored: pino's level decides.
 */
export function toBoltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'slack' });
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => log.debug(line(msg)),
    info: (...msg) => log.info(line(msg)),
    warn: (...msg) => log.warn(line(msg)),
    error: (...msg) => log.error(line(msg)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
