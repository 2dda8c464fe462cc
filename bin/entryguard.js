#!/usr/bin/env node
// Launcher for `npx entryguard …` and `npm start`: the compiled build (dist/, `npm run build`)
// when there is one and it is not older than the source, else the source through tsx. The
// build starts faster and smaller (no compiler in the process; README "Benchmark" has figures).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist/main/cli.js');

/** Newest modification time under a folder (0 when it is absent: a shipped build without src/). */
function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : -1;
if (builtAt >= 0 && builtAt >= newest(path.join(root, 'src'))) {
  await import(pathToFileURL(built).href);
} else {
  // A stale build would run yesterday's code: say so and run the source.
  if (builtAt >= 0) process.stderr.write('entryguard: dist/ is older than src/, running the source (npm run build refreshes it)\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'src/main/cli.ts')).href);
}
