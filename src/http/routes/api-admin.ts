import { queryAudit } from '../../engine/audit-query.ts';
import { decideApproval } from '../../engine/decide-approval.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { getSession, listOrgSessions } from '../../engine/session-queries.ts';
import { resolveSessionRef } from '../../engine/session-ref.ts';
import { stopSession } from '../../engine/stop-session.ts';
import { defineRoute, type ApiRoute } from '../api/api-route.ts';
import { AdminSessionsQuery, ApprovalBody, ApprovalResult, AuditPage, AuditQuery, Session, SessionList, type SESSION_STATES, SESSION_ID_PARAM } from '../api/schemas.ts';
import { toSessionJson } from '../api/session-json.ts';

/** Org-wide views and actions: every session, admin stop, approvals, the audit trail. */
export function adminRoutes(engine: EngineDeps): ApiRoute[] {
  return [
    defineRoute({
      operationId: 'listOrgSessions',
      method: 'GET',
      path: '/admin/sessions',
      tag: 'admin',
      scope: 'sessions:admin',
      adminOnly: true,
      status: 200,
      summary: "Every session of the organization (live and ending ones unless ?state= says otherwise)",
      query: AdminSessionsQuery,
      response: SessionList,
      async handle({ actor, query }) {
        const views = await listOrgSessions(engine, actor, { states: query.state, limit: query.limit });
        return { items: views.map(toSessionJson) };
      },
    }),
    defineRoute({
      operationId: 'stopSessionAsAdmin',
      method: 'POST',
      path: '/admin/sessions/:id/stop',
      idParam: SESSION_ID_PARAM,
      tag: 'admin',
      scope: 'sessions:admin',
      adminOnly: true,
      status: 200,
      summary: "Stop anyone's session (ended reason ADMIN)",
      response: Session,
      async handle({ actor, id }) {
        const sessionId = await resolveSessionRef(engine, actor, id, 'SESSION_STOP');
        await stopSession(engine, { sessionId, actor, asAdmin: true });
        return toSessionJson(await getSession(engine, actor, sessionId));
      },
    }),
    defineRoute({
      operationId: 'decideApproval',
      method: 'POST',
      path: '/sessions/:id/approval',
      idParam: SESSION_ID_PARAM,
      tag: 'approvals',
      scope: 'approvals:write',
      status: 200,
      summary: 'Approve or deny a session awaiting approval',
      description:
        'Each role of the request decides through its own approvers, never the requester: the session opens when every role approved, and one denial denies it. `role` names the role decided for (default: every role you approve for). A second decision changes nothing.',
      body: ApprovalBody,
      response: ApprovalResult,
      async handle({ actor, id, body }) {
        const sessionId = await resolveSessionRef(engine, actor, id, body.decision === 'approve' ? 'APPROVAL_APPROVE' : 'APPROVAL_DENY');
        const r = await decideApproval(engine, { sessionId, decision: body.decision, role: body.role, reason: body.reason, actor });
        return { sessionId, state: r.state as (typeof SESSION_STATES)[number], status: r.status, alreadyDecided: r.alreadyDecided, decided: r.decided, waitingFor: r.waitingFor };
      },
    }),
    defineRoute({
      operationId: 'listAuditEvents',
      method: 'GET',
      path: '/audit',
      tag: 'admin',
      scope: 'audit:read',
      adminOnly: true,
      status: 200,
      summary: 'The audit trail of the organization, newest first',
      query: AuditQuery,
      response: AuditPage,
      async handle({ actor, query }) {
        const page = await queryAudit(engine, actor, {
          action: query.action,
          actorLabel: query.actor,
          targetId: query.targetId,
          result: query.result,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
          page: query.page ?? 0,
          size: query.size ?? 50,
        });
        return {
          ...page,
          items: page.items.map((e) => ({
            id: e.id,
            at: e.at.toISOString(),
            actorType: e.actorType,
            actorId: e.actorId,
            actorLabel: e.actorLabel,
            action: e.action,
            targetType: e.targetType,
            targetId: e.targetId,
            result: e.result,
            ip: e.ip,
            details: e.details,
          })),
        };
      },
    }),
  ];
}
