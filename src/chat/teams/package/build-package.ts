import { writeZip } from './zip.ts';

export interface PackageInputs {
  /** manifests/teams/manifest.json as parsed JSON. */
  manifest: Record<string, unknown>;
  colorPng: Buffer;
  outlinePng: Buffer;
  /** The bot's Entra app id (TEAMS_APP_ID): the manifest's app id and bot id. */
  appId?: string | undefined;
  /** PUBLIC_URL: the developer links and the valid domain (claim links open there). */
  publicUrl?: string | undefined;
  version?: string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The manifest for one deployment: the committed file with this bot's id and public URL filled
 * in (the committed one carries placeholders so it stays valid on its own).
 */
export function deploymentManifest(p: Omit<PackageInputs, 'colorPng' | 'outlinePng'>): Record<string, unknown> {
  const m = structuredClone(p.manifest) as Record<string, unknown> & { bots: Record<string, unknown>[]; developer: Record<string, unknown> };
  if (p.appId) {
    if (!GUID.test(p.appId)) throw new Error(`TEAMS_APP_ID must be the bot's Entra app id (a GUID), got "${p.appId}"`);
    m.id = p.appId;
    for (const bot of m.bots) bot.botId = p.appId;
  }
  if (p.publicUrl) {
    const url = new URL(p.publicUrl);
    if (url.protocol !== 'https:') throw new Error(`PUBLIC_URL must be https for Teams, got ${p.publicUrl}`);
    const base = url.origin;
    m.developer = { ...m.developer, websiteUrl: base, privacyUrl: `${base}/privacy`, termsOfUseUrl: `${base}/terms` };
    m.validDomains = [url.host];
  }
  if (p.version) m.version = p.version;
  return m;
}

/** The zip Teams uploads: manifest.json and the two icons, at the root. */
export function buildTeamsPackage(p: PackageInputs): Buffer {
  const manifest = deploymentManifest(p);
  return writeZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: 'color.png', data: p.colorPng },
    { name: 'outline.png', data: p.outlinePng },
  ]);
}
