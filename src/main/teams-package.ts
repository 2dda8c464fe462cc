import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { colorIcon, outlineIcon } from '../chat/teams/package/icons.ts';
import { buildTeamsPackage } from '../chat/teams/package/build-package.ts';

/**
 * `npm run teams:package [-- --out file.zip] [--icons]`: the Teams app package to upload, from
 * manifests/teams/ with TEAMS_APP_ID and PUBLIC_URL from the environment filled in. `--icons`
 * first redraws the two icons into manifests/teams/ (they are committed; no image tool needed).
 */
const { values } = parseArgs({ options: { out: { type: 'string', default: '.data/entryguard-teams.zip' }, icons: { type: 'boolean', default: false } } });
const dir = resolve(import.meta.dirname, '../../manifests/teams');
if (values.icons) {
  writeFileSync(resolve(dir, 'color.png'), colorIcon());
  writeFileSync(resolve(dir, 'outline.png'), outlineIcon());
}
if (!process.env.TEAMS_APP_ID) console.warn('TEAMS_APP_ID is not set: the package keeps the placeholder bot id (fine for the Agents Playground, not for Teams).');
if (!process.env.PUBLIC_URL) console.warn('PUBLIC_URL is not set: the package keeps the placeholder domain entryguard.example.com.');
const zip = buildTeamsPackage({
  manifest: JSON.parse(readFileSync(resolve(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>,
  colorPng: readFileSync(resolve(dir, 'color.png')),
  outlinePng: readFileSync(resolve(dir, 'outline.png')),
  appId: process.env.TEAMS_APP_ID,
  publicUrl: process.env.PUBLIC_URL,
});
const out = resolve(values.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip);
console.log(`Teams app package written to ${out} (${zip.length} bytes): upload it in Teams (Apps → Manage your apps → Upload an app).`);
