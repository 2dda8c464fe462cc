/**
 * Managed-prefix-list actions of the EC2 fake: optimistic concurrency on `CurrentVersion`
 * (PrefixListVersionMismatch), `modify-in-progress` after each change (IncorrectState), max
 * entries, 100 entries per request, removals before additions (as in AWS).
 */
import type { Ec2State, PrefixList } from './state.ts';
import { DESC_RE, Ec2Error, OWNER, checkCidr, el, filters, scalarList, set, structList, tagSet, type Q } from './query.ts';

const MAX_ENTRIES_PER_REQUEST = 100;

function findList(state: Ec2State, id: string | undefined): PrefixList {
  const pl = id ? state.prefixLists.get(id) : undefined;
  if (!pl) throw new Ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`);
  return pl;
}

function plXml(pl: PrefixList): string {
  return (
    el('prefixListId', pl.id) + el('addressFamily', pl.addressFamily) + el('state', pl.state) +
    el('prefixListArn', `arn:aws:ec2:us-east-1:${OWNER}:prefix-list/${pl.id}`) + el('prefixListName', pl.name) +
    el('maxEntries', pl.maxEntries) + el('version', pl.version) + tagSet([]) + el('ownerId', pl.ownerId)
  );
}

export function modifyPrefixList(state: Ec2State, q: Q): string {
  const pl = findList(state, q.PrefixListId);
  if (pl.state.endsWith('in-progress'))
    throw new Ec2Error('IncorrectState', `The prefix list ${pl.id} is in the current state (${pl.state}) and cannot be modified.`);
  if (q.CurrentVersion !== undefined && Number(q.CurrentVersion) !== pl.version)
    throw new Ec2Error('PrefixListVersionMismatch', 'The prefix list has the incorrect version number.');
  const adds = structList(q, 'AddEntry');
  const removes = structList(q, 'RemoveEntry');
  if (q.PrefixListName) pl.name = q.PrefixListName;
  if (!adds.length && !removes.length) return `<prefixList>${plXml(pl)}</prefixList>`;
  if (adds.length > MAX_ENTRIES_PER_REQUEST || removes.length > MAX_ENTRIES_PER_REQUEST)
    throw new Ec2Error('InvalidParameterValue', `The number of entries per request cannot exceeds limit (${MAX_ENTRIES_PER_REQUEST}).`);
  if (q.CurrentVersion === undefined) throw new Ec2Error('MissingParameter', 'The request must contain the parameter CurrentVersion');
  let entries = [...pl.entries];
  for (const r of removes) {
    if (!entries.some((e) => e.cidr === r.Cidr))
      throw new Ec2Error('InvalidPrefixListModification', `The CIDR ${r.Cidr} does not exist in the prefix list.`);
    entries = entries.filter((e) => e.cidr !== r.Cidr);
  }
  for (const a of adds) {
    const cidr = a.Cidr ?? '';
    checkCidr(cidr, pl.addressFamily === 'IPv6');
    if (a.Description !== undefined && !DESC_RE.test(a.Description))
      throw new Ec2Error('InvalidParameterValue', 'Invalid prefix list entry description.');
    const clash = entries.find((e) => e.cidr === cidr);
    if (clash)
      throw new Ec2Error('InvalidPrefixListModification', `An entry with the CIDR (${cidr}) and description (${clash.description ?? ''}) already exists.`);
    entries.push({ cidr, description: a.Description });
  }
  if (entries.length > pl.maxEntries)
    throw new Ec2Error('PrefixListMaxEntriesExceeded', `The prefix list has exceeded its maximum number of entries (${pl.maxEntries}).`);
  (pl.history ??= new Map()).set(pl.version, pl.entries);
  pl.entries = entries;
  pl.version += 1;
  pl.state = 'modify-in-progress';
  const snapshot = plXml(pl);
  const done = () => {
    pl.state = 'modify-complete';
  };
  if (state.prefixListSettleReads > 0) pl.settleReadsLeft = state.prefixListSettleReads;
  else if (state.prefixListSettleMs > 0) setTimeout(done, state.prefixListSettleMs).unref();
  else setImmediate(done);
  return `<prefixList>${snapshot}</prefixList>`;
}

export function getPrefixListEntries(state: Ec2State, q: Q): string {
  const pl = findList(state, q.PrefixListId);
  const target = q.TargetVersion === undefined ? pl.version : Number(q.TargetVersion);
  const entries = target === pl.version ? pl.entries : pl.history?.get(target);
  if (!entries) throw new Ec2Error('InvalidParameterValue', `The prefix list ${pl.id} has no version ${q.TargetVersion}.`);
  const max = q.MaxResults ? Number(q.MaxResults) : 100;
  if (max < 1 || max > 100) throw new Ec2Error('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 1 and 100.`);
  const start = q.NextToken ? Number(Buffer.from(q.NextToken, 'base64url').toString()) : 0;
  const page = entries.slice(start, start + max);
  const next = start + max < entries.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return set('entrySet', page.map((e) => el('cidr', e.cidr) + el('description', e.description))) + el('nextToken', next);
}

export function describePrefixLists(state: Ec2State, q: Q): string {
  const ids = scalarList(q, 'PrefixListId');
  for (const id of ids) findList(state, id);
  let pls = [...state.prefixLists.values()].filter((p) => !ids.length || ids.includes(p.id));
  for (const f of filters(q)) {
    if (f.name === 'prefix-list-id') pls = pls.filter((p) => f.values.includes(p.id));
    else if (f.name === 'prefix-list-name') pls = pls.filter((p) => f.values.includes(p.name));
    else if (f.name === 'owner-id') pls = pls.filter((p) => f.values.includes(p.ownerId));
    else throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
  const xml = set('prefixListSet', pls.map(plXml));
  for (const p of pls) {
    if (p.settleReadsLeft === undefined) continue;
    p.settleReadsLeft -= 1;
    if (p.settleReadsLeft <= 0) [p.state, p.settleReadsLeft] = ['modify-complete', undefined];
  }
  return xml;
}
