import type { AccessCheck, CloudPresence } from '../../engine/check-access.ts';
import type { AddressChangeResult } from '../../engine/session-address.ts';
import { html } from '../claim/html.ts';
import type { Page } from '../claim/pages.ts';

/** What GET /k/:token shows: what the check will do. Changes nothing (link previews fetch links). */
export function checkPreviewPage(p: { userEmail: string; csrf: string; action: string; ip: string | undefined }): Page {
  return {
    status: 200,
    title: 'Check your access',
    body: html`<h1>Check your access</h1>
<p>EntryGuard will look at every firewall your session opened, right now, and compare it with where you connect from${p.ip ? html` (<code id="eg-ip">${p.ip}</code>)` : ''}.</p>
<p class="muted">Session of <strong>${p.userEmail}</strong>. A rule found missing in the cloud is repaired at once; nothing else changes unless you choose it on the next page.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<button type="submit" id="eg-check">Check now</button>
</form>`,
  };
}

const PRESENCE: Record<CloudPresence, string> = {
  present: 'in place',
  missing: 'missing in the cloud (repairing)',
  altered: 'changed in the cloud (repairing)',
  'not-open': 'not open',
  unknown: 'cannot be read back',
};

/** The check's answer: the verdicts in plain words, each firewall's rules, and the two buttons when the address changed. */
export function checkResultPage(p: { check: AccessCheck; csrf: string; action: string; actionToken: string }): Page {
  const { check } = p;
  const live = !check.verdicts.some((v) => v.kind === 'not-live');
  const here = check.newAddresses[0];
  return {
    status: 200,
    title: 'Access check',
    body: html`<h1>Access check</h1>
<ul id="eg-verdicts">${check.verdicts.map((v) => html`<li data-kind="${v.kind}">${v.text}</li>`)}</ul>
<p class="muted">Your session holds ${check.addresses.length ? check.addresses.map((a, i) => html`${i ? ', ' : ''}<code>${a}</code>`) : 'no address'}; you connect from ${check.seen.map((a, i) => html`${i ? ', ' : ''}<code>${a}</code>`)}.</p>
<h2>Firewalls</h2>
<ul id="eg-resources">${check.resources.map(
      (r) => html`<li><strong>${r.name}</strong> opens ${r.opens.join(', ')}: ${r.rules.map((x, i) => html`${i ? '; ' : ''}<code>${x.cidr}</code> ${PRESENCE[x.inCloud]}`)}${r.unreadable ? html` <span class="muted">(${r.unreadable})</span>` : ''}</li>`,
    )}</ul>
${
  live && here
    ? html`<h2>Follow your new address</h2>
<p>Open <code>${here}</code> for this session. The expiry does not change.</p>
<form method="post" action="${p.action}" class="eg-move">
<input type="hidden" name="csrf" value="${p.csrf}"><input type="hidden" name="actionToken" value="${p.actionToken}"><input type="hidden" name="mode" value="move">
<button type="submit" id="eg-move">Move my session here</button>
</form>
<p class="muted">Releases ${check.addresses.join(', ')} (unless someone else's session holds it too).</p>
<form method="post" action="${p.action}" class="eg-add">
<input type="hidden" name="csrf" value="${p.csrf}"><input type="hidden" name="actionToken" value="${p.actionToken}"><input type="hidden" name="mode" value="add">
<button type="submit" id="eg-add">Add this address</button>
</form>
<p class="muted">Keeps the old address open too.</p>`
    : ''
}`,
  };
}

/** After Move / Add. */
export function addressChangedPage(r: AddressChangeResult, mode: 'move' | 'add'): Page {
  return {
    status: 200,
    title: mode === 'move' ? 'Session moved' : 'Address added',
    body: html`<h1 id="eg-title">${mode === 'move' ? 'Session moved' : 'Address added'}</h1>
<p id="eg-message">Opening <code>${r.address}</code> on your firewalls now; it takes a few seconds.${r.released.length ? html` Released: ${r.released.join(', ')}.` : ''}</p>
<p class="muted">Your session now holds ${r.addresses.join(', ')}. Chat shows the session as it changes.</p>`,
  };
}
