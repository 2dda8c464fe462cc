import type { OrgSpec, ResourceSpec } from '../../config/org-file.ts';
import { change, keysChange, plural, portsText, same, updateLine } from './format.ts';
import type { OrgPlan } from './plan.ts';
import type { CurrentOrg, CurrentResource } from './snapshot.ts';

/**
 * Resources are never deleted (session rules keep their history through a foreign key): one gone
 * from the file is deactivated and unassigned. Nothing that moves or withdraws a firewall target
 * (removal, deactivation, a new kind, identifier, region or ports) may happen while live session
 * rules still hold addresses there: those rules would be left behind in the cloud.
 */
export function planResources(spec: OrgSpec, current: CurrentOrg, add: (t: string) => void): OrgPlan['resources'] {
  const write: ResourceSpec[] = [];
  const inUse: string[] = [];
  const busy = (row: CurrentResource, what: string) => {
    if (row.liveRules > 0) {
      inUse.push(
        `resource ${row.name} cannot be ${what}: ${plural(row.liveRules, 'live session rule')} still ${row.liveRules === 1 ? 'uses' : 'use'} it; ` +
          'stop those sessions (or wait for them to end) and apply again',
      );
    }
  };

  for (const r of spec.resources) {
    const row = current.resources.get(r.name);
    if (!row) {
      add(`+ resource ${r.name} (${r.kind} ${r.identifier}${r.active ? '' : ', inactive'})`);
      write.push(r);
      continue;
    }
    const target = [
      ...change('kind', row.kind, r.kind),
      ...change('identifier', row.identifier, r.identifier),
      ...change('region', row.region, r.region ?? null),
      ...(same(row.ports, r.ports) ? [] : [`ports ${portsText(row.ports)} → ${portsText(r.ports)}`]),
    ];
    const changes = [
      ...target,
      ...change('credential', row.credentialName, r.credential ?? null),
      ...keysChange('config', row.config, r.config),
      ...change('active', row.isActive, r.active),
    ];
    if (!changes.length) continue;
    if (target.length) busy(row, 'changed (kind, identifier, region or ports)');
    if (row.isActive && !r.active) busy(row, 'deactivated');
    add(updateLine(`resource ${r.name}`, changes));
    write.push(r);
  }

  const keep = new Set(spec.resources.map((r) => r.name));
  const retire = [...current.resources.values()].filter(
    (row) => !keep.has(row.name) && (row.isActive || row.assignments > 0 || row.credentialId !== null),
  );
  for (const row of retire) {
    busy(row, 'removed');
    add(`- resource ${row.name} (deactivated and unassigned; kept for session history)`);
  }
  return { write, retire, inUse };
}
