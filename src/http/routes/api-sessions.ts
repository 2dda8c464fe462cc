import type { EngineDeps } from '../../engine/deps.ts';
import { DEFAULT_EXTEND_MINUTES, extendSession } from '../../engine/extend-session.ts';
import { getSession, listMySessions } from '../../engine/session-queries.ts';
import { resolveSessionRef } from '../../engine/session-ref.ts';
import { startSession } from '../../engine/start-session.ts';
import { stopSession } from '../../engine/stop-session.ts';
import { ipVersion } from '../../shared/ip.ts';
import { defineRoute, type ApiRoute } from '../api/api-route.ts';
import { bodyMinutes, extendHint, startHint } from '../api/duration-body.ts';
import { ExtendSessionBody, ListSessionsQuery, Session, SessionList, StartSessionBody, SESSION_ID_PARAM } from '../api/schemas.ts';
import { toSessionJson } from '../api/session-json.ts';
import { requireClientIp } from '../client-ip.ts';


/** The caller's own sessions (others' only through the admin or approver scopes): start, list, read, stop, extend. */
export function sessionRoutes(engine: EngineDeps): ApiRoute[] {
  return [
    defineRoute({
      operationId: 'startSession',
      method: 'POST',
      path: '/sessions',
      tag: 'sessions',
      scope: 'sessions:write',
      status: 201,
      summary: "Start a session for the key's user from the caller's IP address",
      description:
        'The address is the one this request comes from (X-Forwarded-For only from trusted proxies); there is no field for it, ' +
        'because an address typed by the caller could be anyone\'s. Without a duration the org default (or the shortest offered) is used. ' +
        'The session is PENDING (or AWAITING_APPROVAL) and becomes ACTIVE once the firewalls are updated: poll GET /sessions/{id}.',
      body: StartSessionBody,
      response: Session,
      async handle({ body, actor, request, reply }) {
        const ip = requireClientIp(request);
        const v = ipVersion(ip);
        const id = await startSession(engine, {
          orgId: actor.orgId,
          userId: actor.userId,
          durationMinutes: await bodyMinutes(body, startHint(engine, actor)),
          ipv4: v === 4 ? ip : undefined,
          ipv6: v === 6 ? ip : undefined,
          origin: 'api',
          reason: body.reason,
          actor,
        });
        void reply.header('location', `/api/v1/sessions/${id}`);
        return toSessionJson(await getSession(engine, actor, id));
      },
    }),
    defineRoute({
      operationId: 'listSessions',
      method: 'GET',
      path: '/sessions',
      tag: 'sessions',
      scope: 'sessions:read',
      status: 200,
      summary: "The key's user's sessions, newest first",
      query: ListSessionsQuery,
      response: SessionList,
      async handle({ actor, query }) {
        const views = await listMySessions(engine, actor, { live: query.live ?? false, limit: query.limit ?? 100 });
        return { items: views.map(toSessionJson) };
      },
    }),
    defineRoute({
      operationId: 'getSession',
      method: 'GET',
      path: '/sessions/:id',
      idParam: SESSION_ID_PARAM,
      tag: 'sessions',
      scope: 'sessions:read',
      status: 200,
      summary: 'One session: your own; any in the org for an admin whose key has sessions:admin; a request asked of you with approvals:write',
      response: Session,
      async handle({ actor, id }) {
        return toSessionJson(await getSession(engine, actor, await resolveSessionRef(engine, actor, id, 'SESSION_VIEW')));
      },
    }),
    defineRoute({
      operationId: 'stopSession',
      method: 'POST',
      path: '/sessions/:id/stop',
      idParam: SESSION_ID_PARAM,
      tag: 'sessions',
      scope: 'sessions:write',
      status: 200,
      summary: 'Stop a session',
      description:
        'The session turns EXPIRING at once and CANCELLED when its rules are removed; returns the session. Stopping an ended session changes nothing and returns it as it is. ' +
        "Someone else's session only for an admin whose key also has sessions:admin (reason ADMIN); otherwise it is 404.",
      response: Session,
      async handle({ actor, id }) {
        const sessionId = await resolveSessionRef(engine, actor, id, 'SESSION_STOP');
        await stopSession(engine, { sessionId, actor });
        return toSessionJson(await getSession(engine, actor, sessionId));
      },
    }),
    defineRoute({
      operationId: 'extendSession',
      method: 'POST',
      path: '/sessions/:id/extend',
      idParam: SESSION_ID_PARAM,
      tag: 'sessions',
      scope: 'sessions:write',
      status: 200,
      summary: 'Extend an ACTIVE or PARTIAL session',
      description:
        'Adds to the current expiry and returns the session: `durationMinutes` is then the new total. An extension past the session cap ' +
        'is trimmed to it (`expiresAt` equals `maxExpiresAt`); one at the cap is refused (409). ' +
        "Someone else's session only for an admin whose key also has sessions:admin; otherwise it is 404.",
      body: ExtendSessionBody,
      response: Session,
      async handle({ actor, id, body }) {
        const sessionId = await resolveSessionRef(engine, actor, id, 'SESSION_EXTEND');
        const deprecated = body.additionalMinutes ?? (body.additionalHours !== undefined ? Math.round(body.additionalHours * 60) : undefined);
        const additionalMinutes = deprecated ?? (await bodyMinutes(body, extendHint)) ?? DEFAULT_EXTEND_MINUTES;
        await extendSession(engine, { sessionId, additionalMinutes, actor });
        return toSessionJson(await getSession(engine, actor, sessionId));
      },
    }),
  ];
}
