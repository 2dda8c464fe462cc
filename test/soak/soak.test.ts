import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.ts';
import { formatSoakTable, runSoak } from './soak.ts';

/*
 * The crash soak, short: a few rounds of concurrent starts and stops on the three cloud emulators
 * and a script firewall, with a process killed (-9, or SIGTERM) in each, often inside a provider
 * call. `npm run soak` runs the long version (README).
 */
describe('crash soak (short)', () => {
  it('leaves no leak, nothing missing, nothing stuck, and removes every rule soon after its end (or after the restart)', { timeout: 600_000 }, async () => {
    const database = await createTestDatabase();
    try {
      const result = await runSoak({ databaseUrl: database.url, database, rounds: 3, maxSeconds: 240, people: 8 });
      const table = formatSoakTable(result);
      expect(result.rounds, table).toBe(3);
      expect(result.leaks, table).toEqual([]);
      expect(result.missing, table).toEqual([]);
      expect(result.stuck, table).toEqual([]);
      // The 3 s target is for `npm run soak` on an idle machine (README); here the soak shares
      // two cores with the rest of the suite, and a restarted process spends seconds loading SDKs.
      expect(result.maxOutliveMs, table).toBeLessThanOrEqual(15_000);
    } finally {
      await database.drop();
    }
  });
});
