import { z } from 'zod';
import type { Task } from 'graphile-worker';
import { expireSession } from '../../engine/expire-session.ts';
import { timeOutApproval } from '../../engine/decide-approval.ts';
import { dropUnconfirmed } from '../../engine/confirm-address.ts';
import type { EngineDeps } from '../../engine/deps.ts';

const SessionPayload = z.object({ sessionId: z.uuid() });

/** expire_session: ends a session whose time is up (a no-op if it was extended or stopped). */
export function createExpireSessionTask(deps: EngineDeps): Task {
  return async (payload) => {
    const { sessionId } = SessionPayload.parse(payload);
    await expireSession(deps, sessionId);
  };
}

/** approval_timeout: denies a request nobody answered in time, or drops an address nobody confirmed in chat. */
export function createApprovalTimeoutTask(deps: EngineDeps): Task {
  return async (payload) => {
    const { sessionId } = SessionPayload.parse(payload);
    if (!(await dropUnconfirmed(deps, sessionId))) await timeOutApproval(deps, sessionId);
  };
}
