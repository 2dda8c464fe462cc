/**
 * The Bot Framework endpoints of each Microsoft cloud a Teams tenant can live in (TEAMS_CLOUD).
 * `public` is AuthenticationConstants and the US Government set GovernmentConstants of
 * botframework-connector 4.23.3. GCC tenants use Entra ID global, so their bot authenticates like
 * a public one; GCC High and DoD bots are registered in Azure Government. Teams sends the real
 * service URL with every activity; the default below is only for proactive posts to a
 * conversation EntryGuard has not heard from yet.
 */
export const TEAMS_CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;
export type TeamsCloud = (typeof TEAMS_CLOUDS)[number];

export interface BotFrameworkEndpoints {
  ToChannelFromBotLoginUrl: string;
  ToChannelFromBotOAuthScope: string;
  ToBotFromChannelTokenIssuer: string;
  OAuthUrl: string;
  ToBotFromChannelOpenIdMetadataUrl: string;
  ToBotFromEmulatorOpenIdMetadataUrl: string;
  CallerId: string;
}

const PUBLIC: BotFrameworkEndpoints = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromChannelOpenIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
  ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: 'urn:botframework:azure',
};

const US_GOVERNMENT: BotFrameworkEndpoints = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us',
  ToChannelFromBotOAuthScope: 'https://api.botframework.us',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.us',
  OAuthUrl: 'https://api.botframework.azure.us',
  ToBotFromChannelOpenIdMetadataUrl: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
  ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0/.well-known/openid-configuration',
  CallerId: 'urn:botframework:azureusgov',
};

export const TEAMS_CLOUD_SETTINGS: Record<TeamsCloud, { auth: BotFrameworkEndpoints; defaultServiceUrl: string }> = {
  public: { auth: PUBLIC, defaultServiceUrl: 'https://smba.trafficmanager.net/teams/' },
  gcc: { auth: PUBLIC, defaultServiceUrl: 'https://smba.infra.gcc.teams.microsoft.com/teams/' },
  'gcc-high': { auth: US_GOVERNMENT, defaultServiceUrl: 'https://smba.infra.gov.teams.microsoft.us/teams/' },
  dod: { auth: US_GOVERNMENT, defaultServiceUrl: 'https://smba.infra.dod.teams.microsoft.us/teams/' },
};
