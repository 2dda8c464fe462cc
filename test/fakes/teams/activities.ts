/** Teams-shaped activity fixtures (ids GUID-shaped like the real ones; see chat-testing notes §2.3). */
export const APP_ID = '00000000-0000-0000-0000-00000000b07a';
export const TENANT = '72f988bf-0000-0000-0000-000000000001';
export const BOT = { id: `28:${APP_ID}`, name: 'EntryGuard' };
export const CHANNEL = '19:approvers@thread.tacv2';
export const TEAM = '19:team456@thread.tacv2';

export interface TeamsUser {
  id: string;
  name: string;
  aadObjectId: string;
}

let seq = 1;

function base(serviceUrl: string, from: TeamsUser, conversation: Record<string, unknown>, channelData: Record<string, unknown>) {
  return {
    id: `${Date.now()}${seq++}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: BOT,
    locale: 'en-US',
    conversation: { tenantId: TENANT, ...conversation },
    channelData: { tenant: { id: TENANT }, ...channelData },
  };
}

export const personalConversation = (user: TeamsUser) => `a:personal-${user.id}`;

/** A message in the user's 1:1 chat with the bot. */
export const personalMessage = (su: string, from: TeamsUser, text: string) => ({
  ...base(su, from, { id: personalConversation(from), conversationType: 'personal' }, {}),
  type: 'message',
  text,
});

/** "@EntryGuard <text>" in a channel thread. */
export const channelMessage = (su: string, from: TeamsUser, text: string, root = '1700000000001', channel = CHANNEL) => ({
  ...base(su, from, { id: `${channel};messageid=${root}`, conversationType: 'channel', isGroup: true }, { teamsChannelId: channel, channel: { id: channel }, team: { id: TEAM } }),
  type: 'message',
  text: `<at>EntryGuard</at> ${text}`,
  entities: [{ type: 'mention', text: '<at>EntryGuard</at>', mentioned: BOT }],
});

/** An Action.Execute click: an `adaptiveCard/action` invoke on the card's activity. */
export const executeClick = (su: string, from: TeamsUser, conversationId: string, cardId: string, verb: string, data: Record<string, unknown>) => ({
  ...base(su, from, { id: conversationId, conversationType: conversationId.startsWith('19:') ? 'channel' : 'personal' }, {}),
  type: 'invoke',
  name: 'adaptiveCard/action',
  replyToId: cardId,
  value: { action: { type: 'Action.Execute', id: verb, verb, data }, trigger: 'manual' },
});
