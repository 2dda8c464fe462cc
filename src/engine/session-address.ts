import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { approvals, roles, sessionRules, sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { canonicalIp, cidrVersion, hostCidr, ipVersion } from '../shared/ip.ts';
import { recordAudit } from './audit.ts';
import { heldAddresses } from './check-access.ts';
import type { EngineDeps } from './deps.ts';
import { loadEntitlements } from './entitlements.ts';
import type { UserActor } from './powers.ts';
import { isHolding } from './state-machine.ts';
import { spendAction } from './throttle.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser, loadOrg } from './users.ts';

/** How many addresses one session may hold unless the organization says otherwise. */
export const DEFAULT_MAX_ADDRESSES_PER_SESSION = 2;

export type AddressChange = 'move' | 'add';

export interface AddressChangeResult {
  sessionId: string;
  /** The address now opened. */
  address: string;
  /** Addresses let go (a move): released through the normal, reference-counted path. */
  released: string[];
  /** Every address the session holds after the change. */
  addresses: string[];
}

/**
 * Follows a person to a new address during a live session (the access check's buttons):
 * `move` releases the session's addresses of that IP family and opens the new one; `add` opens it
 * besides them, up to the organization's maxAddressesPerSession. The expiry does not change. The
 * old CIDR leaves the cloud only when no other live session holds it (two people behind one NAT:
 * the shared rule stays for the other); the new rules go to the resources the session opened that
 * the person is still entitled to. A session that needed approval keeps it only when every role
 * that approved it allows address changes; otherwise the person must ask again (start a new
 * session from the new address). Counts against the per-user throttle. Audited.
 * Errors: SESSION_NOT_FOUND, INVALID_STATE, NO_IP_ADDRESS, ALREADY_HELD, TOO_MANY_ADDRESSES,
 * APPROVAL_REQUIRED, NO_RESOURCES, THROTTLED.
 */
export async function changeSessionAddress(deps: EngineDeps, actor: UserActor, input: { sessionId: string; ip: string; mode: AddressChange }): Promise<AddressChangeResult> {
  const action = input.mode === 'move' ? 'SESSION_ADDRESS_MOVE' : 'SESSION_ADDRESS_ADD';
  return runUseCase(deps, actor, { action, targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const ip = canonicalIp(input.ip);
    const version = ip ? ipVersion(ip) : undefined;
    if (!ip || !version) throw new AppError('NO_IP_ADDRESS', 'EntryGuard could not tell your IP address from this connection.');
    const [session] = /^[0-9a-f-]{36}$/i.test(input.sessionId)
      ? await tx.select().from(sessions).where(and(eq(sessions.id, input.sessionId), eq(sessions.orgId, me.orgId), eq(sessions.userId, me.id))).for('update')
      : [];
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    if (!isHolding(session.state)) throw new AppError('INVALID_STATE', 'This session is not running, so it cannot change its address. Start a new one from chat.');

    const rules = await tx.select().from(sessionRules).where(eq(sessionRules.sessionId, session.id));
    const held = heldAddresses(rules);
    const cidr = hostCidr(ip);
    if (held.includes(cidr)) throw new AppError('ALREADY_HELD', `This session already holds ${ip}.`);
    const released = input.mode === 'move' ? held.filter((c) => cidrVersion(c) === version) : [];
    const org = await loadOrg(tx, me.orgId);
    const max = org.settings.maxAddressesPerSession ?? DEFAULT_MAX_ADDRESSES_PER_SESSION;
    if (held.length - released.length + 1 > max) {
      throw new AppError('TOO_MANY_ADDRESSES', `This session already holds ${held.length} addresses, the most your organization allows (${max}). Move it here instead, or stop it and start a new one.`);
    }
    await requireApprovalAllowsChange(tx, session.id);

    const entitled = new Set((await loadEntitlements(tx, me.id)).resourceIds);
    const resourceIds = [...new Set(rules.map((r) => r.resourceId))].filter((id) => entitled.has(id)).sort();
    if (resourceIds.length === 0) throw new AppError('NO_RESOURCES', 'None of the resources this session opened is still granted to you.');
    await spendAction(tx, deps.clock.now(), me.id, org.settings);

    const now = deps.clock.now();
    if (released.length) {
      await tx
        .update(sessionRules)
        .set({ state: 'REMOVING', error: null, updatedAt: now })
        .where(and(eq(sessionRules.sessionId, session.id), inArray(sessionRules.cidr, released), inArray(sessionRules.state, ['PENDING', 'APPLIED', 'FAILED'])));
    }
    // A CIDR this session held before (moved away, now back) has its rows already: they wait again.
    await tx
      .insert(sessionRules)
      .values(resourceIds.map((resourceId) => ({ sessionId: session.id, resourceId, ipVersion: version, cidr, state: 'PENDING' as const, updatedAt: now })))
      .onConflictDoUpdate({
        target: [sessionRules.sessionId, sessionRules.resourceId, sessionRules.cidr],
        set: { state: 'PENDING', error: null, removedAt: null, appliedAt: null, updatedAt: now },
      });
    const primary = version === 4 ? { ipv4: ip } : { ipv6: ip };
    if (input.mode === 'move' || (version === 4 ? session.ipv4 : session.ipv6) === null) {
      await tx.update(sessions).set({ ...primary, updatedAt: now }).where(eq(sessions.id, session.id));
    }
    const touched = [...new Set([...resourceIds, ...rules.filter((r) => released.includes(r.cidr)).map((r) => r.resourceId)])].sort();
    await deps.jobs.syncResources(tx, touched);
    await deps.jobs.notifySession(tx, session.id, 'state_changed');
    const addresses = [...new Set([...held.filter((c) => !released.includes(c)), cidr])].sort();
    await recordAudit(tx, actor, { action, targetType: 'session', targetId: session.id, details: { address: ip, released, addresses } });
    return { sessionId: session.id, address: ip, released, addresses };
  });
}

/** An approved session may move only when every role that approved it allows address changes. */
async function requireApprovalAllowsChange(tx: Tx, sessionId: string): Promise<void> {
  const rows = await tx
    .select({ roleName: approvals.roleName, allows: roles.approvalAllowsAddressChange })
    .from(approvals)
    .leftJoin(roles, eq(roles.id, approvals.roleId))
    .where(eq(approvals.sessionId, sessionId));
  const strict = rows.filter((r) => !r.allows).map((r) => r.roleName);
  if (strict.length) {
    throw new AppError(
      'APPROVAL_REQUIRED',
      `This session was approved for the address it has; ${strict.join(', ')} must approve a new one. Stop it and start a new session from here to ask again.`,
      { details: { roles: strict } },
    );
  }
}
