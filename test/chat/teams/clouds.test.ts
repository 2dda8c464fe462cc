import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamsTransport } from '../../../src/chat/teams/transport/adapter.ts';
import { APP_ID, CHANNEL, TENANT, personalMessage } from '../../fakes/teams/activities.ts';
import { startFakeConnector, type FakeConnector } from '../../fakes/teams/fake-connector.ts';
import { startFakeIssuer, type FakeIssuer } from '../../fakes/teams/fake-issuer.ts';

/**
 * TEAMS_CLOUD picks the Bot Framework the bot is registered in: GCC High and DoD bots live in
 * Azure Government, so inbound tokens come from its issuer and outbound tokens are asked for its
 * audience. The fake issuer's keys stand in for Microsoft's (the OpenID URL is the only seam).
 */
let connector: FakeConnector;
let issuer: FakeIssuer;
beforeAll(async () => {
  [connector, issuer] = await Promise.all([startFakeConnector(), startFakeIssuer()]);
});
afterAll(async () => {
  await Promise.all([connector?.close(), issuer?.close()]);
});

function transportFor(cloud: 'public' | 'gcc' | 'gcc-high' | 'dod', audiences: string[]) {
  return createTeamsTransport({
    appId: APP_ID,
    tenantId: TENANT,
    cloud,
    openIdMetadataUrl: issuer.openIdMetadataUrl,
    outboundToken: async (audience) => (audiences.push(audience), 'token'),
  });
}
const user = { id: '29:gov-user', name: 'Gov User', aadObjectId: 'aad-gov' };

describe('Teams clouds', () => {
  it('a GCC High bot asks for Azure Government Bot Framework tokens when it posts', async () => {
    const audiences: string[] = [];
    await transportFor('gcc-high', audiences).postToChannel({ serviceUrl: connector.serviceUrl, tenantId: TENANT, channelId: CHANNEL }, { text: 'hello' });
    expect(audiences).toEqual(['https://api.botframework.us']);
    const publicAudiences: string[] = [];
    await transportFor('gcc', publicAudiences).postToChannel({ serviceUrl: connector.serviceUrl, tenantId: TENANT, channelId: CHANNEL }, { text: 'hello' });
    expect(publicAudiences).toEqual(['https://api.botframework.com']); // GCC bots are registered in public Azure
  });

  it('takes inbound tokens from the Azure Government issuer under dod, and only there', async () => {
    const activity = personalMessage(connector.serviceUrl, user, 'help');
    const govToken = issuer.sign({ iss: 'https://api.botframework.us', aud: APP_ID, serviceurl: connector.serviceUrl });
    const ok = async () => {};
    expect((await transportFor('dod', []).process(`Bearer ${govToken}`, activity, ok)).status).toBe(200);
    expect((await transportFor('public', []).process(`Bearer ${govToken}`, activity, ok)).status).toBe(401);
  });
});
