import { ProviderError, type ResourceTarget, type VerifyResult } from '../../engine/ports.ts';
import type { NsgApi } from './client.ts';
import type { ParsedResource } from './config.ts';
import { account, room, slotsOf } from './plan.ts';
import { planSlots } from './slots.ts';

const NEEDED = [
  'Microsoft.Network/networkSecurityGroups/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
  'Microsoft.Network/networkSecurityGroups/securityRules/delete',
];

/**
 * Reads only: GET the NSG (reachable, readable, capacity), then the caller's permissions on it
 * (may it write and delete rules?). Never throws: an unreachable or forbidden NSG is the answer.
 */
export async function verifyNsg(resource: ResourceTarget, parsed: ParsedResource, api: NsgApi, signal: AbortSignal): Promise<VerifyResult> {
  let rules;
  try {
    rules = await api.getRules(signal);
  } catch (err) {
    const e = asProviderError(err);
    // Azure answered but said no: reachable, not permitted. NOT_FOUND, network and timeouts: not reachable.
    const answered = ['FORBIDDEN', 'AUTH_FAILED', 'THROTTLED', 'CONFLICT'].includes(e.code);
    return { reachable: answered, permitted: false, capacityLeft: { v4: 0, v6: 0 }, message: e.message };
  }
  const acc = account(rules, planSlots(resource, parsed), parsed);
  const left = room(acc, parsed, acc.current);
  const capacity = (family: 4 | 6): number => {
    if (acc.blocked.has(family)) return 0;
    const n = slotsOf(acc, family).length;
    const newRules = acc.current.get(family)!.size === 0 ? n : 0;
    return left.rules < newRules ? 0 : Math.max(0, Math.floor(left.prefixes / n));
  };
  const notes: string[] = [];
  for (const [family, clash] of acc.blocked) {
    notes.push(`priority ${clash.priority} is taken by rule "${clash.name}", so IPv${family} cannot be opened: choose another config.priority`);
  }
  let permitted = true;
  try {
    const grants = await api.permissions(signal);
    const missing = NEEDED.filter((action) => !allows(action, grants));
    if (missing.length) {
      permitted = false;
      notes.unshift(`the credential may read NSG ${api.label} but lacks ${missing.join(', ')} (see the azure-nsg README for the role)`);
    }
  } catch (err) {
    // Reading permissions needs Microsoft.Authorization/permissions/read; without it we cannot tell.
    notes.push(`could not confirm write permission: ${asProviderError(err).message}`);
  }
  return {
    reachable: true,
    permitted,
    capacityLeft: { v4: capacity(4), v6: capacity(6) },
    message: notes.length ? notes.join('; ') : undefined,
  };
}

/** Azure RBAC: an action is allowed when some `actions` pattern matches and no `notActions` one does. */
function allows(action: string, grants: { actions: string[]; notActions: string[] }[]): boolean {
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i').test(action);
  return grants.some((g) => g.actions.some(matches) && !g.notActions.some(matches));
}

function asProviderError(err: unknown): ProviderError {
  return err instanceof ProviderError ? err : new ProviderError('UNKNOWN', String(err), { retryable: true });
}
