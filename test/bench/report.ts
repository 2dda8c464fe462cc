import { loadAvg } from './machine.ts';
import type { Row } from './stats.ts';

/**
 * The benchmark's output: the table (every figure with its target and the 1-minute load average
 * when it was taken), then notes and profile sections below it.
 */
export function createReport() {
  const rows: (Row & { load: string })[] = [];
  const notes: string[] = [];
  const sections: { title: string; lines: string[] }[] = [];
  return {
    row(metric: string, value: string, target: string) {
      rows.push({ metric, value, target, load: loadAvg() });
      // As it happens too: a full run takes minutes.
      process.stderr.write(`${metric.trim()}: ${value}  (target ${target || '—'}, load ${loadAvg()})\n`);
    },
    note(text: string) {
      notes.push(text);
    },
    section(title: string, lines: string[]) {
      sections.push({ title, lines });
    },
    print(title: string) {
      const w = [
        Math.max(6, ...rows.map((r) => r.metric.length)),
        Math.max(5, ...rows.map((r) => r.value.length)),
        Math.max(6, ...rows.map((r) => r.target.length)),
        4,
      ];
      const line = (a: string, b: string, c: string, d: string) => `| ${a.padEnd(w[0]!)} | ${b.padStart(w[1]!)} | ${c.padEnd(w[2]!)} | ${d.padStart(w[3]!)} |`;
      console.log(`\n${title}\n`);
      console.log(line('metric', 'value', 'target', 'load'));
      console.log(`|${'-'.repeat(w[0]! + 2)}|${'-'.repeat(w[1]! + 1)}:|${'-'.repeat(w[2]! + 2)}|${'-'.repeat(w[3]! + 1)}:|`);
      for (const r of rows) console.log(line(r.metric, r.value, r.target, r.load));
      for (const n of notes) console.log(`\n${n}`);
      for (const s of sections) console.log(`\n${s.title}\n${s.lines.map((l) => `  ${l}`).join('\n')}`);
    },
  };
}

export type Report = ReturnType<typeof createReport>;
