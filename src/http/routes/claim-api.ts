import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { addClaimAddress, claimSessionId } from '../../engine/claims.ts';
import type { EngineDeps } from '../../engine/deps.ts';
import { getSession } from '../../engine/session-queries.ts';
import type { SessionView } from '../../engine/session-view.ts';
import { AppError } from '../../shared/errors.ts';
import { validationError } from '../errors.ts';
import { requireClientIp } from '../client-ip.ts';

/** The shape of tokens createClaim hands out (base64url); anything else never reaches the database. */
export const CLAIM_TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

const AddressBody = z.strictObject({ familyToken: z.string().min(1).max(200) });

/** States after which the page stops polling (once no rule is still pending). */
const SETTLED = new Set(['ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRED', 'CANCELLED', 'DENIED']);

const MESSAGES: Record<string, string> = {
  AWAITING_CONFIRMATION: 'Nothing is open yet: go back to chat and press “Open for” this address to finish.',
  AWAITING_APPROVAL: 'Waiting for an approver. You will be told in chat.',
  PENDING: 'Opening the firewalls…',
  ACTIVE: 'Your access is open.',
  PARTIAL: 'Some firewalls could not be updated; the others are open. See below.',
  FAILED: 'No firewall could be updated. See below, or ask an admin.',
  EXPIRING: 'Access is being removed.',
  EXPIRED: 'This session has ended.',
  CANCELLED: 'This session was stopped.',
  DENIED: 'This request was denied.',
};

/** What the claim page's script sees: no ids, only what the person on the page needs. */
export function toClaimStatus(v: SessionView) {
  const pending = v.rules.some((r) => r.state === 'PENDING');
  return {
    state: v.state,
    done: SETTLED.has(v.state) && !pending,
    message: MESSAGES[v.state] ?? v.state,
    expiresAt: v.expiresAt?.toISOString() ?? null,
    ipv4: v.ipv4,
    ipv6: v.ipv6,
    rules: v.rules.map((r) => ({ resourceName: r.resourceName, ipVersion: r.ipVersion, state: r.state, error: r.error })),
  };
}

/**
 * JSON routes behind the claim page: live status (only for a used claim; unknown and unused
 * tokens get the same 404) and the other-family address, which the page calls cross-origin on
 * PUBLIC_URL_V4 / _V6, so it answers CORS for PUBLIC_URL's origin and nobody else.
 */
export function claimApiRoutes(app: FastifyInstance, opts: { engine: EngineDeps; publicOrigin: string }): void {
  const { engine, publicOrigin } = opts;

  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('vary', 'Origin');
    if (request.headers.origin === publicOrigin) {
      void reply.header('access-control-allow-origin', publicOrigin);
    }
  };

  app.get<{ Params: { token: string } }>('/c/:token/status', async (request, reply) => {
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) throw new AppError('CLAIM_INVALID', 'This link is not valid.');
    const claim = await claimSessionId(engine, token);
    const view = await getSession(engine, { type: 'user', orgId: claim.orgId, userId: claim.userId, label: 'claim:status' }, claim.sessionId);
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(toClaimStatus(view));
  });

  app.options<{ Params: { token: string } }>('/c/:token/address', async (request, reply) => {
    cors(request, reply);
    if (request.headers.origin === publicOrigin) {
      void reply.headers({ 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
    }
    return reply.code(204).send();
  });

  app.post<{ Params: { token: string } }>('/c/:token/address', async (request, reply) => {
    // Set first, so that refusals are readable by the page too.
    cors(request, reply);
    void reply.header('cache-control', 'no-store');
    const { token } = request.params;
    if (!CLAIM_TOKEN.test(token)) throw new AppError('CLAIM_INVALID', 'This link is not valid.');
    // JSON only: a cross-site form post would skip the CORS preflight.
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new AppError('VALIDATION_FAILED', 'Send a JSON body.');
    }
    const body = AddressBody.safeParse(request.body ?? {});
    if (!body.success) throw validationError(body.error.issues, 'body');
    const ip = requireClientIp(request);
    const result = await addClaimAddress(engine, { token, familyToken: body.data.familyToken, ip });
    return { added: result.added, ipVersion: result.ipVersion };
  });
}
