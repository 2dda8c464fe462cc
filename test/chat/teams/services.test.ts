import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { startServices, type Services } from '../../../src/main/services.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { APP_ID, personalMessage } from '../../fakes/teams/activities.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.ts';

/** The composition root mounts /api/messages when Teams is configured, and refuses local mode in production. */
const base = (database: TestDatabase) => ({ DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', PUBLIC_URL: 'https://eg.example.test', DEMO: 'false', LOG_LEVEL: 'silent' });
const started: { services?: Services; database: TestDatabase }[] = [];
afterAll(async () => {
  for (const s of started) {
    await s.services?.stop();
    await s.database.drop();
  }
});

describe('startServices with Teams', () => {
  it('with TEAMS_APP_ID and TEAMS_APP_PASSWORD serves /api/messages with JWT validation (no Microsoft call at start)', async () => {
    const database = await createTestDatabase();
    const env = { ...base(database), TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'secret' };
    const services = await startServices(loadConfig(env), env, createLogger({ level: 'silent' }), { web: true, worker: false });
    started.push({ services, database });
    const activity = personalMessage('https://smba.trafficmanager.net/teams/', { id: '29:a', name: 'A', aadObjectId: 'aad' }, 'help');
    const res = await fetch(`${services.address}/api/messages`, { method: 'POST', body: JSON.stringify(activity), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
  });

  it('refuses to start in local mode (TEAMS_LOCAL without TEAMS_APP_ID) when NODE_ENV=production', async () => {
    const database = await createTestDatabase();
    started.push({ database });
    const env = { ...base(database), NODE_ENV: 'production', TEAMS_LOCAL: 'true' };
    await expect(startServices(loadConfig(env), env, createLogger({ level: 'silent' }), { web: true, worker: false })).rejects.toThrow(/refused when NODE_ENV=production/);
  });
});
