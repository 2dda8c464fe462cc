import type { FastifyInstance } from 'fastify';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Remembers every route as it is registered (in any plugin registered after this call), so that
 * a request the router did not match can be told apart: a known path asked with another method
 * (405 with `Allow`) or a path that does not exist (404). Returns the lookup: the methods the
 * path answers, sorted, or an empty list for an unknown path.
 */
export function trackAllowedMethods(app: FastifyInstance): (url: string) => string[] {
  const byUrl = new Map<string, KnownPath>();
  app.addHook('onRoute', (route) => {
    const known = byUrl.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) known.methods.add(method);
    // fastify answers HEAD for every GET route (exposeHeadRoutes) whether or not it reports it here.
    if (known.methods.has('GET')) known.methods.add('HEAD');
    byUrl.set(route.url, known);
  });
  return (url) => {
    const path = url.split('?')[0] ?? '';
    const methods = new Set<string>();
    for (const known of byUrl.values()) if (known.pattern.test(path)) for (const m of known.methods) methods.add(m);
    return [...methods].sort();
  };
}

/** fastify's route syntax as the router reads it: `:name` is one path segment, `*` the rest. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
