import type { OrgSpec, RoleSpec } from '../../config/org-file.ts';
import { change, plural, setChange, updateLine } from './format.ts';
import type { OrgPlan } from './plan.ts';
import type { CurrentOrg, CurrentRole } from './snapshot.ts';

const DEFAULT_APPROVAL_TIMEOUT = 30;

/**
 * The role row the file asks for, in database terms (approval channels apart: approvalChannelPatch).
 */
export function roleRowOf(r: RoleSpec) {
  return {
    maxSessionDurationHours: r.maxSessionDurationHours ?? null,
    requiresApproval: r.approval !== undefined,
    approvalTimeoutMinutes: r.approval?.timeoutMinutes ?? DEFAULT_APPROVAL_TIMEOUT,
    confirmClaimInChat: r.claim?.confirmInChat ?? false,
    approvalAllowsAddressChange: r.approval?.allowAddressChange ?? false,
    requireReason: r.requireReason,
    pinnedApprovalChannels: pinnedChannels(r),
  };
}

/** The channels the file sets (not those it clears or leaves out): chat may not move these. */
function pinnedChannels(r: RoleSpec): { slack?: string; teams?: string } {
  const c = r.approval ? approvalChannelPatch(r) : {};
  return { ...(c.slack ? { slack: c.slack } : {}), ...(c.teams ? { teams: c.teams } : {}) };
}

/**
 * What the file says about approval channels, per platform: a channel replaces what is stored,
 * `null` clears it, and a platform it leaves out keeps the channel chosen in chat (`approvals
 * here`, or the team the app was added to), so re-applying an unchanged file does not silently
 * stop approval requests from being posted.
 */
export function approvalChannelPatch(r: RoleSpec): { slack?: string | null; teams?: string | null } {
  return r.approval?.channels ?? {};
}

/**
 * Roles and their member / approver / resource lists follow the file exactly. Removing a role
 * deletes it; sessions it allowed keep running until they end (docs/architecture.md §2).
 */
export function planRoles(spec: OrgSpec, current: CurrentOrg, add: (t: string) => void): OrgPlan['roles'] {
  const write: RoleSpec[] = [];
  for (const r of spec.roles) {
    const row = current.roles.get(r.name);
    if (!row) {
      add(`+ role ${r.name} (${describeNew(r)})`);
      write.push(r);
      continue;
    }
    const changes = roleChanges(row, r);
    if (changes.length) {
      add(updateLine(`role ${r.name}`, changes));
      write.push(r);
    }
  }
  const keep = new Set(spec.roles.map((r) => r.name));
  const remove = [...current.roles.values()].filter((row) => !keep.has(row.name));
  remove.forEach((row) => add(`- role ${row.name}`));
  return { write, remove };
}

function roleChanges(row: CurrentRole, r: RoleSpec): string[] {
  const want = roleRowOf(r);
  const channels = approvalChannelPatch(r);
  const approvers = [...(r.approval?.approvers ?? [])].sort();
  const lines = [
    ...change('maxSessionDurationHours', row.maxSessionDurationHours, want.maxSessionDurationHours),
    ...change('claim.confirmInChat', row.confirmClaimInChat, want.confirmClaimInChat),
    ...change('requireReason', row.requireReason, want.requireReason),
    ...setChange('members', row.members, [...r.members].sort()),
    ...setChange('resources', row.resources, [...r.resources].sort()),
    ...(row.requiresApproval === want.requiresApproval ? [] : [`approval ${row.requiresApproval ? 'on' : 'off'} → ${want.requiresApproval ? 'on' : 'off'}`]),
    ...setChange('approval.approvers', row.approvers, approvers),
    // Channels and timeout mean nothing without approval; comparing them then would only add noise.
    ...(want.requiresApproval
      ? [
          ...change('approval.timeoutMinutes', row.approvalTimeoutMinutes, want.approvalTimeoutMinutes),
          ...change('approval.allowAddressChange', row.approvalAllowsAddressChange, want.approvalAllowsAddressChange),
          ...(channels.slack !== undefined ? change('approval.channels.slack', row.approvalChannels.slack, channels.slack ?? undefined) : []),
          ...(channels.teams !== undefined ? change('approval.channels.teams', row.approvalChannels.teams, channels.teams ?? undefined) : []),
        ]
      : []),
  ];
  // The pins follow the channels; said on their own only when nothing else shows it (once, after
  // an upgrade: a database from before pinning knows no pinned channel).
  if (lines.length === 0 && !samePins(row.pinnedApprovalChannels, want.pinnedApprovalChannels)) lines.push('approval channels now pinned by this file');
  return lines;
}

const samePins = (a: { slack?: string; teams?: string }, b: { slack?: string; teams?: string }) => a.slack === b.slack && a.teams === b.teams;

function describeNew(r: RoleSpec): string {
  return [
    plural(r.members.length, 'member'),
    plural(r.resources.length, 'resource'),
    r.maxSessionDurationHours !== undefined ? `max ${r.maxSessionDurationHours}h` : undefined,
    r.approval ? `approval by ${r.approval.approvers.join(',')}` : undefined,
    r.requireReason ? 'reason required' : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}
