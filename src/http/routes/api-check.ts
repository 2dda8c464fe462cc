import { checkAccess, type AccessCheck } from '../../engine/check-access.ts';
import type { SyncDeps } from '../../engine/deps.ts';
import { changeSessionAddress } from '../../engine/session-address.ts';
import { defineRoute, type ApiRoute } from '../api/api-route.ts';
import { AccessCheckJson, AddressChangeBody, AddressChangeResult } from '../api/check-schemas.ts';
import { SESSION_ID_PARAM } from '../api/schemas.ts';
import { resolveSessionRef } from '../../engine/session-ref.ts';
import { requireClientIp } from '../client-ip.ts';

export const accessCheckJson = (c: AccessCheck) => ({ ...c, expiresAt: c.expiresAt?.toISOString() ?? null });

/** "Why can't I connect?" for the caller's own session, and following a changed address. */
export function checkRoutes(engine: SyncDeps): ApiRoute[] {
  return [
    defineRoute({
      operationId: 'checkSessionAccess',
      method: 'GET',
      path: '/sessions/:id/check',
      idParam: SESSION_ID_PARAM,
      tag: 'sessions',
      scope: 'sessions:read',
      status: 200,
      summary: 'Check why a session may not let you in',
      description:
        'Reads every firewall the session opened live, rule by rule, and compares it with the address this request comes from. ' +
        'A rule missing or altered in the cloud is repaired at once. Only the session\'s owner may check it (404 for anyone else, admins included).',
      response: AccessCheckJson,
      async handle({ actor, id, request }) {
        const ip = requireClientIp(request);
        return accessCheckJson(await checkAccess(engine, actor, { sessionId: await resolveSessionRef(engine, actor, id, 'SESSION_CHECK'), seen: [ip] }));
      },
    }),
    defineRoute({
      operationId: 'changeSessionAddress',
      method: 'POST',
      path: '/sessions/:id/address',
      idParam: SESSION_ID_PARAM,
      tag: 'sessions',
      scope: 'sessions:write',
      status: 200,
      summary: 'Move a session to the address this request comes from, or add it',
      description:
        'The expiry does not change. The old address leaves the firewalls unless another live session holds it. ' +
        'At most the organization\'s maxAddressesPerSession addresses (default 2); a session that needed approval may move only when its roles allow address changes.',
      body: AddressChangeBody,
      response: AddressChangeResult,
      async handle({ actor, id, body, request }) {
        const ip = requireClientIp(request);
        return changeSessionAddress(engine, actor, { sessionId: await resolveSessionRef(engine, actor, id, `SESSION_ADDRESS_${body.mode.toUpperCase()}`), ip, mode: body.mode });
      },
    }),
  ];
}
