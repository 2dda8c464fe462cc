import type { FastifyInstance } from 'fastify';
import { html } from '../claim/html.ts';
import type { Readiness } from '../readiness.ts';

export interface HomeRouteOptions {
  readiness: () => Promise<Readiness>;
  /** package.json's version. */
  version: string;
}

/** Nothing on the page loads anything: no script, no image, inline style only. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `/`: what this server is, whether it is ready, its version, and where to go next (the OpenAPI
 * document, how a claim works). Public: it shows nothing of any organization and no setting,
 * only what /readyz already tells anyone.
 */
export async function homeRoutes(app: FastifyInstance, opts: HomeRouteOptions): Promise<void> {
  app.get('/', { config: { rateLimit: false } }, async (request, reply) => {
    const ready = await opts.readiness().catch((err: unknown) => {
      request.log.error({ err }, 'readiness check threw');
      return { database: false, worker: false } satisfies Readiness;
    });
    const ok = ready.database && ready.worker;
    const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>EntryGuard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}
.ok{color:#1a7f37}.bad{color:#b42318}code{background:#f3f3f3;padding:0 .25rem}dt{font-weight:600}</style></head>
<body>
<h1>EntryGuard</h1>
<p>Time-bound network access: a person asks from Slack, Teams or the REST API, and EntryGuard opens
their own IP address on the cloud firewalls they may use, then removes it when the session ends.</p>
<dl>
<dt>Status</dt><dd class="${ok ? 'ok' : 'bad'}">${ok ? 'ready' : 'not ready'} (database ${ready.database ? 'up' : 'down'}, worker ${ready.worker ? 'up' : 'down'})</dd>
<dt>Version</dt><dd>${opts.version}</dd>
</dl>
<h2>For developers and operators</h2>
<ul>
<li><a href="/api/v1/openapi.json">REST API: the OpenAPI document</a> (<code>/api/v1</code>, API key as a bearer token)</li>
<li><a href="/healthz">/healthz</a> (serving) and <a href="/readyz">/readyz</a> (ready to work)</li>
<li><a href="#claim-flow">How a claim works</a></li>
</ul>
<h2 id="claim-flow">How a claim works</h2>
<ol>
<li>You ask for access in chat (<code>/entryguard start</code>) or with the API.</li>
<li>From chat, you get a one-time link, valid for a few minutes. Opening it in the browser on the
machine that needs access lets EntryGuard see the public IP address that machine really uses
(and the other address family's, when the server has both).</li>
<li>You confirm on that page; EntryGuard opens that address, and only it, on your resources for the
session's duration. Chat shows the session, its end time, and buttons to extend or stop it.</li>
<li>When the session ends, the rules are removed; a removal that fails is retried until it is done.</li>
</ol>
</body></html>`;
    return reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(page.toString());
  });
}
