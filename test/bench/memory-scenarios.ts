import fs from 'node:fs';
import path from 'node:path';
import { startCloudLab } from '../helpers/cloud-lab.ts';
import type { Report } from './report.ts';
import { serverMemory } from './scenarios/server-memory.ts';
import { ms } from './stats.ts';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The server alone, as a child process on the three cloud emulators, from source through tsx and
 * (when `npm run build` made dist/) from the compiled build: start time, idle RSS, RSS during a
 * burst. Both on the same emulators, one after the other.
 */
export async function memoryScenarios(serverUrl: string, report: Report, opts: { sessions: number; perCloud: number; perUser: number; delay: number }) {
  const built = fs.existsSync(path.join(root, 'dist/main/cli.js'));
  if (!built) report.note('memory: no dist/ (run `npm run build` first) — only the tsx figures.');
  for (const from of built ? (['tsx', 'dist'] as const) : (['tsx'] as const)) {
    // A fresh lab each time: the emulators' firewalls start empty and under their quotas.
    const lab = await startCloudLab({ latencyMs: opts.delay });
    try {
      const m = await serverMemory(serverUrl, lab, { from, sessions: opts.sessions, perCloud: opts.perCloud, perUser: opts.perUser });
      const how = from === 'tsx' ? 'from source (node --import tsx)' : 'compiled (node dist/)';
      report.row(`server process ${how}: start → running (3 SDKs preloaded)`, ms(m.startMs), '');
      report.row(`  RSS idle after start`, `${m.idleRssMiB.toFixed(0)} MiB`, '');
      report.row(`  RSS peak during ${opts.sessions} starts on ${opts.perCloud * 3} emulator resources (VmRSS / VmHWM)`, `${m.peakRssMiB.toFixed(0)} / ${m.hwmMiB.toFixed(0)} MiB`, '< 250 MiB');
      report.row(`  that burst: all accepted / all settled`, `${ms(m.acceptedMs)} / ${ms(m.activeMs)}`, '');
    } finally {
      await lab.close();
    }
  }
}
