import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies point inward (STYLE.md): adapters import the engine, never the reverse, and the
 * engine imports no chat or cloud SDK. This test reads every import in src/ and fails on a
 * forbidden one, so the layering cannot erode one convenient import at a time.
 */
const SRC = path.resolve(import.meta.dirname, '../src');

/** Internal folders each folder may import (itself always allowed). */
const ALLOWED: Record<string, string[]> = {
  shared: [],
  config: ['shared'],
  db: ['shared'],
  engine: ['shared', 'db', 'config'],
  cloud: ['engine', 'shared'],
  chat: ['engine', 'shared'],
  jobs: ['engine', 'db', 'shared'],
  http: ['chat', 'engine', 'shared'],
  main: ['*'],
};

/** Outside packages the engine may use: no SDK of any platform. */
const ENGINE_PACKAGES = ['drizzle-orm', 'zod'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  found.push(...[...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!));
  return found;
}

const layerOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('imports between layers follow the table in STYLE.md', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      const allowed = ALLOWED[from];
      if (!allowed) {
        violations.push(`${path.relative(SRC, file)}: folder "${from}" is not in the layer table`);
        continue;
      }
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        const to = layerOf(path.resolve(path.dirname(file), spec));
        if (to !== from && !allowed.includes('*') && !allowed.includes(to)) violations.push(`${path.relative(SRC, file)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the engine imports no SDK', () => {
    const violations = files
      .filter((f) => layerOf(f) === 'engine')
      .flatMap((f) => imports(f).filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !ENGINE_PACKAGES.includes(s)).map((s) => `${path.relative(SRC, f)}: ${s}`));
    expect(violations).toEqual([]);
  });

  it('only src/main reads process.env', () => {
    const readers = files.filter((f) => layerOf(f) !== 'main' && /process\.env\b/.test(fs.readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')));
    expect(readers.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
