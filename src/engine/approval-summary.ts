import type { ApprovalStatus } from '../db/schema/index.ts';

/** One role's part of a session's approval, as cards, pages and the API show it. */
export interface RoleApprovalView {
  id: string;
  roleId: string | null;
  roleName: string;
  status: ApprovalStatus;
  expiresAt: Date;
  deciderUserId: string | null;
  reason: string | null;
  decidedAt: Date | null;
}

/** The session's approval as a whole, plus each role's part. */
export interface ApprovalSummary {
  /** PENDING while any role waits and none refused; APPROVED once every role approved; DENIED or
   *  TIMED_OUT when a role did; WITHDRAWN when the requester withdrew. */
  status: ApprovalStatus;
  /** The earliest deadline of a role still waiting (else the earliest of all). */
  expiresAt: Date;
  /** Who settled it: the one who denied, or the last to approve. */
  deciderUserId: string | null;
  reason: string | null;
  decidedAt: Date | null;
  /** Names of the roles whose approvers have not answered yet, sorted. */
  waitingFor: string[];
  roles: RoleApprovalView[];
}

/** Folds the per-role rows of one session into its approval (undefined: none was needed). */
export function summarizeApprovals(rows: readonly RoleApprovalView[]): ApprovalSummary | undefined {
  if (rows.length === 0) return undefined;
  const roles = [...rows].sort((a, b) => a.roleName.localeCompare(b.roleName) || a.id.localeCompare(b.id));
  const pending = roles.filter((r) => r.status === 'PENDING');
  const refused = roles.find((r) => r.status === 'DENIED') ?? roles.find((r) => r.status === 'TIMED_OUT');
  const status: ApprovalStatus = refused
    ? refused.status
    : pending.length
      ? 'PENDING'
      : roles.every((r) => r.status === 'APPROVED')
        ? 'APPROVED'
        : 'WITHDRAWN';
  const lastApproval = roles.filter((r) => r.status === 'APPROVED').sort((a, b) => (a.decidedAt?.getTime() ?? 0) - (b.decidedAt?.getTime() ?? 0)).at(-1);
  const settledBy = refused ?? (status === 'APPROVED' ? lastApproval : undefined);
  const deadlines = (pending.length ? pending : roles).map((r) => r.expiresAt.getTime());
  return {
    status,
    expiresAt: new Date(Math.min(...deadlines)),
    deciderUserId: settledBy?.deciderUserId ?? null,
    reason: settledBy?.reason ?? null,
    decidedAt: settledBy?.decidedAt ?? null,
    waitingFor: status === 'PENDING' ? pending.map((r) => r.roleName) : [],
    roles,
  };
}
