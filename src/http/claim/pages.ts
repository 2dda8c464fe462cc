import type { PortRange } from '../../engine/ports.ts';
import { formatMinutes } from '../../shared/duration.ts';
import { html, type SafeHtml } from './html.ts';
import { CLAIM_PAGE_SCRIPT } from './page-script.ts';

export interface Page {
  status: number;
  title: string;
  body: SafeHtml;
  config?: unknown;
  script?: string;
}

/** What GET /c/:token shows: what a click on Confirm will do. Changes nothing. */
export function previewPage(p: {
  userEmail: string;
  orgName: string;
  durationMinutes: number;
  ip: string | undefined;
  csrf: string;
  action: string;
  expiresAt: Date;
  resources: { name: string; ports: PortRange[] }[];
  confirmInChat: boolean;
}): Page {
  if (!p.ip) {
    return messagePage(400, 'Address unknown', 'EntryGuard could not tell your IP address from this connection. Try again from another network, or ask an admin.');
  }
  const duration = formatMinutes(p.durationMinutes);
  return {
    status: 200,
    title: 'Confirm access',
    body: html`<h1>Start a ${duration} session?</h1>
<p>Start a <strong>${duration}</strong> session for <strong>${p.userEmail}</strong> (${p.orgName}) from <code id="eg-ip">${p.ip}</code>?</p>
<p>It opens that address on:</p>
<ul id="eg-resources">${p.resources.map((r) => html`<li><strong>${r.name}</strong>: ${portsText(r.ports)}</li>`)}</ul>
<p class="muted">until the session ends. Only confirm if this is your own network.</p>
${p.confirmInChat ? html`<p id="eg-chat-step"><strong>One more step:</strong> after Confirm, go back to chat and press <strong>Open for ${p.ip}</strong>. Nothing opens until you do.</p>` : ''}
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<button type="submit" id="eg-confirm">Confirm</button>
</form>
<p class="muted">This link works once and expires at ${p.expiresAt.toISOString().slice(11, 16)} UTC.</p>`,
  };
}

/** "tcp 22, tcp 8000-8080, icmp" */
export function portsText(ports: PortRange[]): string {
  if (ports.length === 0) return 'all traffic';
  return ports.map((p) => (p.protocol === 'tcp' || p.protocol === 'udp' ? `${p.protocol} ${p.from === p.to || p.to === undefined ? p.from : `${p.from}-${p.to}`}` : p.protocol)).join(', ');
}

/** After Confirm: the session is starting (or, with claim.confirmInChat, waits for chat); the script follows it live. */
export function startedPage(p: {
  userEmail: string;
  durationMinutes: number;
  ip: string;
  statusUrl: string;
  otherFamily?: { url: string; familyToken: string } | undefined;
  confirmInChat?: boolean;
}): Page {
  const title = p.confirmInChat ? 'Confirm in chat' : 'Session starting';
  return {
    status: 200,
    title,
    body: html`<h1 id="eg-title">${title}</h1>
<p>A ${formatMinutes(p.durationMinutes)} session for <strong>${p.userEmail}</strong> from <code>${p.ip}</code>.</p>
${p.confirmInChat ? html`<p id="eg-chat-step"><strong>Nothing is open yet.</strong> Go back to chat and press <strong>Open for ${p.ip}</strong> to finish.</p>` : ''}
${liveStatus}
<p id="eg-note" class="muted" aria-live="polite">${p.confirmInChat ? 'Waiting for you in chat…' : 'Opening the firewalls…'}</p>
<p id="eg-family" class="muted"></p>
<p class="muted">You can close this page; chat keeps you posted.</p>`,
    config: { statusUrl: p.statusUrl, ...POLLING, otherFamily: p.otherFamily ?? null },
    script: CLAIM_PAGE_SCRIPT,
  };
}

/** How the live part of a page polls: fast while opening, slower while waiting, rarely once open (until it ends). */
const POLLING = { intervalMs: 1500, slowIntervalMs: 5000, liveIntervalMs: 30_000, maxPollMs: 10 * 60_000 };

/** The session's state, expiry and per-firewall status, kept live by the page script. */
const liveStatus = html`<p>State: <span id="eg-state" class="badge s-pending" data-state="PENDING">PENDING</span></p>
<p id="eg-expires" class="muted"></p>
<ul id="eg-rules"></ul>`;

/**
 * A link that already started its session (a reload after Confirm, or the link opened again): a
 * clear refusal, changing nothing, followed by the live status of the session it started — the
 * link is what a person has at hand to check on it.
 */
export function usedLinkPage(p: { statusUrl: string }): Page {
  return {
    status: 410,
    title: 'Link already used',
    body: html`<h1>Link already used</h1>
<p class="warn" id="eg-message">This link already started a session and cannot start another. Start again from chat for a new one.</p>
<h2>The session it started</h2>
${liveStatus}
<p id="eg-note" class="muted" aria-live="polite"></p>`,
    config: { statusUrl: p.statusUrl, ...POLLING, otherFamily: null },
    script: CLAIM_PAGE_SCRIPT,
  };
}

/** Invalid, used or expired links, refusals, CSRF failures: a clear sentence, nothing else. */
export function messagePage(status: number, title: string, message: string): Page {
  return {
    status,
    title,
    body: html`<h1>${title}</h1>
<p class="${status >= 400 ? 'warn' : ''}" id="eg-message">${message}</p>`,
  };
}
