import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * botbuilder 4.23 is the last Bot Framework release: every import of it stays in
 * src/chat/teams/transport/, so moving to the Microsoft 365 Agents SDK changes one folder.
 */
const SRC = path.resolve(import.meta.dirname, '../../../src');
const BOT_FRAMEWORK = /from\s+['"](botbuilder[^'"]*|botframework-[^'"]+)['"]|import\(\s*['"](botbuilder|botframework-)/;

const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

describe('the Teams transport boundary', () => {
  it('only src/chat/teams/transport/ imports botbuilder or botframework-*', () => {
    const outside = files(SRC)
      .filter((f) => !f.startsWith(path.join(SRC, 'chat/teams/transport') + path.sep))
      .filter((f) => BOT_FRAMEWORK.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f));
    expect(outside).toEqual([]);
    expect(files(path.join(SRC, 'chat/teams/transport')).some((f) => BOT_FRAMEWORK.test(fs.readFileSync(f, 'utf8')))).toBe(true);
  });
});
