import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * A V8 CPU profile of this process (server, worker and bench client) between start and stop,
 * written to `file` (open it in Chrome DevTools) and summarised: self time by function, and by
 * package or source folder, so the README can say where the time goes.
 */
export async function cpuProfile(file: string) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(n = 12) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      const nodes = profile.nodes as ProfileNode[];
      const total = nodes.reduce((a, x) => a + (x.hitCount ?? 0), 0) || 1;
      const byFn = new Map<string, number>();
      const byArea = new Map<string, number>();
      for (const x of nodes) {
        const hits = x.hitCount ?? 0;
        if (!hits) continue;
        const fn = `${x.callFrame.functionName || '(anonymous)'} ${shortUrl(x.callFrame.url)}:${x.callFrame.lineNumber + 1}`;
        byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
        const area = areaOf(x.callFrame.url, x.callFrame.functionName);
        byArea.set(area, (byArea.get(area) ?? 0) + hits);
      }
      const top = (m: Map<string, number>) =>
        [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => ({ what: k, percent: (100 * v) / total }));
      return { functions: top(byFn), areas: top(byArea) };
    },
  };
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const s = url.indexOf('/src/');
  if (s >= 0) return url.slice(s + 1);
  const t = url.indexOf('/test/');
  return t >= 0 ? url.slice(t + 1) : url;
}

/** A package name, a src/ or test/ folder, node's own internals, or V8's pseudo-frames ((idle), (garbage collector)). */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return 'node: internals';
  const m = /\/(src|test)\/([^/]+)/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}
