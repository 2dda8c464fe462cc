#!/usr/bin/env node
// Runs at `npm install` (postinstall). Two fixes to postgres.js 3.4.9's write scheduler that
// upstream has not released (porsager/postgres#1154, #1208, PRs #1168/#1176/#1209):
//  1. A write queued just before its connection closed runs on a null socket, from a
//     setImmediate: an uncatchable TypeError that kills the process (any Postgres restart, any
//     killed backend). Fixed by failing that write's query with CONNECTION_CLOSED instead.
//  2. Closing clears the write timer without forgetting it, so a connection that closed with a
//     write queued never writes again: its next queries wait forever. Fixed by forgetting it.
// test/db/postgres-driver.test.ts proves both. Remove this once a fixed release is pinned.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const MARK = '/* entryguard patch: postgres.js write scheduler */';
// The package's main file is cjs/src/index.js: its folder's grandparent is the package.
const pkgDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('postgres')), '../..');
const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (version !== '3.4.9') {
  console.error(`patch-postgres-js: postgres is ${version}, this patch is for 3.4.9: check whether the release fixes porsager/postgres#1208 and update or remove bin/patch-postgres-js.mjs`);
  process.exit(1);
}

const edits = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  ['    clearImmediate(nextWriteTimer)\n    if (socket) {', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {'],
  ["    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)", "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)"],
];

for (const dir of ['src', 'cjs/src', 'cf/src']) {
  const file = path.join(pkgDir, dir, 'connection.js');
  let text = fs.readFileSync(file, 'utf8');
  if (text.includes(MARK)) continue;
  for (const [from, to] of edits) {
    if (!text.includes(from)) {
      console.error(`patch-postgres-js: ${file} does not contain the code to patch; see the comment in bin/patch-postgres-js.mjs`);
      process.exit(1);
    }
    text = text.replace(from, to);
  }
  fs.writeFileSync(file, text);
}
