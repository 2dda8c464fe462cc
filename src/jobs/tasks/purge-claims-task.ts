import type { Task } from 'graphile-worker';
import type { EngineDeps } from '../../engine/deps.ts';
import { purgeCheckLinks } from '../../engine/check-links.ts';
import { purgeClaims } from '../../engine/purge-claims.ts';

/** The job's name, in the task list and the crontab. */
export const PURGE_CLAIMS = 'purge_claims';

/** purge_claims (hourly): claims past their retention (engine/purge-claims.ts) and spent access-check links are deleted. */
export function createPurgeClaimsTask(deps: EngineDeps): Task {
  return async (_payload, helpers) => {
    const deleted = await purgeClaims(deps);
    if (deleted) helpers.logger.info(`purge_claims: ${deleted} claim(s) deleted`);
    const links = await purgeCheckLinks(deps);
    if (links) helpers.logger.info(`purge_claims: ${links} check link(s) deleted`);
  };
}
