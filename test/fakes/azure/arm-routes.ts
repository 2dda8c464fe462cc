import type { FakePrincipal } from './fake-aad.ts';

/**
 * Which ARM or Entra ID call a request is (the key of `FakeAzure.calls`), and the RBAC action
 * it needs. Paths are matched case-insensitively, as ARM does.
 */

export interface Route {
  call: string;
  action?: string | undefined;
  sub?: string | undefined;
  rg?: string | undefined;
  nsg?: string | undefined;
  rule?: string | undefined;
  opId?: string | undefined;
  opKind?: string | undefined;
}

export const NSG_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkSecurityGroups\/([^/]+)/i;
const OPERATION = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/i;
const NSG_ACTION = 'Microsoft.Network/networkSecurityGroups';
/** HTTP method → [call name, RBAC verb] for a single security rule. */
const RULE_VERBS: Record<string, [string, string]> = { GET: ['get', 'read'], PUT: ['put', 'write'], DELETE: ['delete', 'delete'] };

export function classify(method: string, pathname: string): Route {
  if (/^\/[^/]+\/(v2\.0\/\.well-known\/openid-configuration)$/.test(pathname)) return { call: 'aad.openid' };
  if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(pathname)) return { call: 'aad.token' };
  const op = OPERATION.exec(pathname);
  if (op && method === 'GET') return { call: 'operation.get', opId: op[2], opKind: op[1]!.toLowerCase() };
  const m = NSG_ID.exec(pathname);
  if (!m) return { call: 'unknown' };
  const rest = decodeURIComponent(pathname.slice(m[0].length));
  const at = { sub: m[1], rg: m[2], nsg: decodeURIComponent(m[3]!) };
  if (rest === '' && method === 'GET') return { ...at, call: 'nsg.get', action: `${NSG_ACTION}/read` };
  if (/^\/providers\/Microsoft\.Authorization\/permissions$/i.test(rest) && method === 'GET') return { ...at, call: 'permissions.get' };
  if (/^\/securityRules$/i.test(rest) && method === 'GET') return { ...at, call: 'rule.list', action: `${NSG_ACTION}/securityRules/read` };
  const rule = /^\/securityRules\/([^/]+)$/i.exec(rest);
  const verb = RULE_VERBS[method];
  if (rule && verb) return { ...at, call: `rule.${verb[0]}`, rule: rule[1], action: `${NSG_ACTION}/securityRules/${verb[1]}` };
  return { call: 'unknown' };
}

/** What `Microsoft.Authorization/permissions` reports for the caller, like the built-in roles. */
export function permissionsOf(p: FakePrincipal): { actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }[] {
  if (p.role === 'none') return [];
  return [{ actions: [p.role === 'contributor' ? '*' : '*/read'], notActions: [], dataActions: [], notDataActions: [] }];
}

export function safeJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

