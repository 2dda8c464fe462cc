/**
 * The one script of the claim page (run under a CSP nonce). It polls the session's status until
 * it settles and, when the server has a host name for the other IP family, reports that family's
 * address once. It builds the DOM with textContent only: nothing from the server becomes markup.
 */
export const CLAIM_PAGE_SCRIPT = String.raw`(() => {
  const cfg = JSON.parse(document.getElementById('eg-config').textContent);
  const $ = (id) => document.getElementById(id);
  const started = Date.now();
  const OPEN = ['ACTIVE', 'PARTIAL'];
  let polling = false;
  // The heading follows the state, so the page never says "starting" about an open or ended session.
  const TITLES = {
    AWAITING_CONFIRMATION: 'Confirm in chat',
    AWAITING_APPROVAL: 'Waiting for approval',
    PENDING: 'Session starting',
    ACTIVE: 'Access is open',
    PARTIAL: 'Access is partly open',
    FAILED: 'Access could not be opened',
    EXPIRING: 'Session ending',
    EXPIRED: 'Session ended',
    CANCELLED: 'Session ended',
    DENIED: 'Request denied',
  };

  const render = (s) => {
    const badge = $('eg-state');
    badge.textContent = s.state.replace('_', ' ');
    badge.className = 'badge s-' + s.state.toLowerCase();
    badge.dataset.state = s.state;
    const heading = $('eg-title');
    if (heading) {
      heading.textContent = TITLES[s.state] || 'Session';
      document.title = heading.textContent + ' · EntryGuard';
    }
    $('eg-expires').textContent = s.expiresAt ? 'Open until ' + new Date(s.expiresAt).toLocaleString() + '.' : '';
    $('eg-rules').replaceChildren(...s.rules.map((r) => {
      const li = document.createElement('li');
      li.textContent = r.resourceName + ' (IPv' + r.ipVersion + '): ' + r.state;
      if (r.error) {
        const e = document.createElement('span');
        e.className = 'err';
        e.textContent = ' - ' + r.error;
        li.append(e);
      }
      return li;
    }));
    $('eg-note').textContent = s.message;
  };

  const poll = async () => {
    polling = true;
    let wait = cfg.intervalMs;
    try {
      const res = await fetch(cfg.statusUrl, { cache: 'no-store', credentials: 'same-origin' });
      // Closed a while after the session ended (CLAIM_CLOSED): nothing more to show.
      if (res.status === 410) { polling = false; $('eg-note').textContent = 'This session has ended and its page is closed.'; return; }
      if (res.ok) {
        const s = await res.json();
        render(s);
        // Settled but still open: look again now and then, so the page does not claim access
        // that was stopped or has expired meanwhile. Ended: nothing more will change.
        if (s.done && !OPEN.includes(s.state)) { polling = false; return; }
        if (s.done) { setTimeout(poll, cfg.liveIntervalMs); return; }
        if (s.state === 'AWAITING_APPROVAL' || s.state === 'AWAITING_CONFIRMATION') wait = cfg.slowIntervalMs;
      }
    } catch (e) {
      // A dropped request is retried on the next tick.
    }
    if (Date.now() - started > cfg.maxPollMs) {
      polling = false;
      $('eg-note').textContent = 'Still working on it. Reload this page or check chat for updates.';
      return;
    }
    setTimeout(poll, wait);
  };

  const addOtherFamily = async () => {
    const other = cfg.otherFamily;
    try {
      const res = await fetch(other.url, {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        cache: 'no-store',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ familyToken: other.familyToken }),
      });
      const body = res.ok ? await res.json() : null;
      if (body && body.added) {
        $('eg-family').textContent = 'Your IPv' + body.ipVersion + ' address was added too.';
        if (!polling) poll();
      }
    } catch (e) {
      // No route over the other family (a single-stack network): nothing to add.
    }
  };

  poll();
  if (cfg.otherFamily) addOtherFamily();
})();`;
