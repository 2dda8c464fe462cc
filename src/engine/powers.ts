import type { Actor } from './audit.ts';
import type { UserRow } from './users.ts';

/**
 * A user acting through some credential. Chat identities act with all of the user's powers. An
 * API key carries only what its scopes grant: `powers` then says whether it may use the user's
 * admin power over other people's sessions (scope sessions:admin) and their approver's view of
 * requests asked of them (scope approvals:write). A key that does not say is treated as a chat
 * identity, so every API key sets both.
 */
export type UserActor = Actor & {
  userId: string;
  orgId: string;
  powers?: { sessionAdmin: boolean; approver: boolean } | undefined;
};

/** Whether `actor` may act on other people's sessions as an org admin (read, extend, stop). */
export const actsAsSessionAdmin = (me: Pick<UserRow, 'isAdmin'>, actor: UserActor): boolean => me.isAdmin && (actor.powers?.sessionAdmin ?? true);

/** Whether `actor` may see the requests they are an approver of. */
export const actsAsApprover = (actor: UserActor): boolean => actor.powers?.approver ?? true;
