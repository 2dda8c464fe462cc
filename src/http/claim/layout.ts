import { html, jsonForScript, SafeHtml } from './html.ts';

/** Inline styles: the page loads nothing from anywhere (CSP default-src 'none'). */
const CSS = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f4f5f7;color:#1d2330}
main{max-width:34rem;margin:1.5rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
p{line-height:1.5}
.muted{color:#5b6475;font-size:.9rem}
code{font-size:1rem;background:#eef0f4;padding:.1rem .35rem;border-radius:4px}
button{font:inherit;font-weight:600;padding:.7rem 1.4rem;border:0;border-radius:8px;background:#2157d3;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #9bb8ff}
.badge{display:inline-block;padding:.2rem .6rem;border-radius:999px;font-weight:600;font-size:.85rem;color:#fff;background:#6b7280}
.s-pending{background:#2563eb}.s-active{background:#16a34a}.s-partial{background:#ea580c}.s-failed{background:#dc2626}
.s-expiring{background:#ca8a04}.s-awaiting_approval,.s-awaiting_confirmation{background:#7c3aed}
ul{padding-left:1.2rem}li{margin:.25rem 0}.err{color:#b91c1c}
.warn{border-left:4px solid #dc2626;padding-left:.8rem}
@media (prefers-color-scheme:dark){body{background:#111318;color:#e6e8ee}main{background:#1b1e26;box-shadow:none}
.muted{color:#a0a8b8}code{background:#2a2e39}.err{color:#f87171}}
`;

export interface Layout {
  title: string;
  nonce: string;
  body: SafeHtml;
  /** Data for the page script, embedded as JSON (not executed, so no nonce needed). */
  config?: unknown;
  /** The one inline script, allowed by the nonce. */
  script?: string;
}

export function renderLayout(page: Layout): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>${page.title} · EntryGuard</title>
<style nonce="${page.nonce}">${new SafeHtml(CSS)}</style>
</head>
<body>
<main>
${page.body}
</main>
${page.config !== undefined ? html`<script type="application/json" id="eg-config">${jsonForScript(page.config)}</script>` : ''}
${page.script ? html`<script nonce="${page.nonce}">${new SafeHtml(page.script)}</script>` : ''}
</body>
</html>
`.value;
}

/**
 * Response headers for every claim page. The token is in the URL, so no referrer may leave the
 * page; nothing is cached; the page cannot be framed; only the nonce'd script and style run.
 */
export function pageHeaders(nonce: string, connectSrc: readonly string[] = []): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    `connect-src ${["'self'", ...connectSrc].join(' ')}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'x-robots-tag': 'noindex, nofollow',
  };
}
