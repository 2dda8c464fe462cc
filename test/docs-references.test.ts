import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Source comments, the example org files and the README point at docs/ for the why. A pointer to
 * a file that is not in the repository (DESIGN.md lived outside it), or to a section the document
 * does not have, fails here.
 */
const ROOT = path.resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

const sources = [...files(path.join(ROOT, 'src')), path.join(ROOT, 'README.md')];

describe('references to design documents', () => {
  it('nothing refers to DESIGN.md, which is not in the repository', () => {
    const offenders = sources.filter((f) => /DESIGN(\.md| §)/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('every docs/ file referred to exists, and every § it names is one of its sections', () => {
    const problems: string[] = [];
    let seen = 0;
    for (const f of sources) {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bdocs\/([\w./-]+\.md)(?:\s*§(\d+))?/g)) {
        seen++;
        const doc = path.join(ROOT, 'docs', m[1]!);
        if (!fs.existsSync(doc)) {
          problems.push(`${path.relative(ROOT, f)}: docs/${m[1]} does not exist`);
          continue;
        }
        if (m[2] && !new RegExp(`^## ${m[2]}\\. `, 'm').test(fs.readFileSync(doc, 'utf8'))) problems.push(`${path.relative(ROOT, f)}: docs/${m[1]} has no section ${m[2]}`);
      }
    }
    expect(problems).toEqual([]);
    expect(seen).toBeGreaterThan(5);
  });
});
