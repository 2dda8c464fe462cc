import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.ts';
import { formatSoakTable, runSoak } from './soak.ts';

/*
 * The crash soak, short: a few rounds of concurrent starts and stops on the three cloud emulators
 * and a script firewall, with a process killed (-9, or SIGTERM) in each, often inside a provider
 * call. `npm run soak` runs the long version (README).
 */
describe('crash soak (short)', () => {
  it('leaves no leak, nothing missing, nothing stuck, and removes every rule within 3 s of its end (or of the restart)', { timeout: 600_000 }, async () => {
    const database = await createTestDatabase();
    try {
      const result = await runSoak({ databaseUrl: database.url, database, rounds: 3, maxSeconds: 240, people: 8 });
      const table = formatSoakTable(result);
      expect(result.rounds, table).toBe(3);
      expect(result.leaks, table).toEqual([]);
      expect(result.missing, table).toEqual([]);
      expect(result.stuck, table).toEqual([]);
      expect(result.maxOutliveMs, table).toBeLessThanOrEqual(3000);
    } finally {
      await database.drop();
    }
  });
});
