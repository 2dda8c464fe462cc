import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseTeamsCommand } from '../../../src/chat/teams/command-parse.ts';
import { COMMANDS } from '../../../src/chat/teams/ids.ts';
import { buildTeamsPackage } from '../../../src/chat/teams/package/build-package.ts';
import { ACCENT } from '../../../src/chat/teams/package/icons.ts';
import { pngSize } from '../../../src/chat/teams/package/png.ts';

/*
 * The official Teams manifest JSON schema is not available offline here (and validating it would
 * need a draft-04 validator package), so this checks what Microsoft documents as required for a
 * bot app, with the schema's limits, plus that the command lists match the code.
 */
const dir = resolve(import.meta.dirname, '../../../manifests/teams');
const raw = readFileSync(resolve(dir, 'manifest.json'), 'utf8');
type Command = { title: string; description: string };
const manifest = JSON.parse(raw) as {
  $schema: string;
  manifestVersion: string;
  version: string;
  id: string;
  developer: Record<string, string>;
  name: { short: string; full?: string };
  description: { short: string; full: string };
  icons: { color: string; outline: string };
  accentColor: string;
  bots: { botId: string; scopes: string[]; commandLists: { scopes: string[]; commands: Command[] }[] }[];
  validDomains: string[];
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('manifests/teams/manifest.json', () => {
  it('has the required fields within the schema limits', () => {
    for (const key of ['manifestVersion', 'version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor']) expect(manifest).toHaveProperty(key);
    expect(manifest.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(Number(manifest.manifestVersion)).toBeGreaterThanOrEqual(1.13);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.id).toMatch(GUID);
    expect(manifest.developer.name?.length).toBeLessThanOrEqual(32);
    for (const url of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) expect(manifest.developer[url]).toMatch(/^https:\/\//);
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.name.full?.length ?? 0).toBeLessThanOrEqual(100);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.accentColor).toBe(ACCENT);
    for (const d of manifest.validDomains) expect(d).toMatch(/^[a-z0-9.*-]+(:\d+)?$/i);
  });

  it('declares one conversational bot in personal, team and group chat scopes', () => {
    expect(manifest.bots).toHaveLength(1);
    const [bot] = manifest.bots;
    expect(bot!.botId).toMatch(GUID);
    expect([...bot!.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot!.commandLists.length).toBeLessThanOrEqual(3);
  });

  it('lists exactly the commands the code understands, with the same descriptions', () => {
    const lists = manifest.bots[0]!.commandLists;
    const byTitle = new Map<string, string>(COMMANDS.map((c) => [c.title, c.description]));
    for (const list of lists) {
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const c of list.commands) {
        expect(c.title.length).toBeLessThanOrEqual(32);
        expect(c.description.length).toBeLessThanOrEqual(128);
        expect(byTitle.get(c.title), c.title).toBe(c.description);
        // Each menu entry, as typed, is a command the parser knows (approvals needs its arguments).
        expect(parseTeamsCommand(c.title === 'approvals' ? 'approvals here prod' : c.title).kind, c.title).not.toBe('invalid');
      }
    }
    // Channels get every command; personal chat all but `approvals here` (it needs a channel).
    const team = lists.find((l) => l.scopes.includes('team'))!;
    expect(team.commands.map((c) => c.title)).toEqual(COMMANDS.map((c) => c.title));
    const personal = lists.find((l) => l.scopes.includes('personal'))!;
    expect(personal.commands.map((c) => c.title)).toEqual(COMMANDS.map((c) => c.title).filter((t) => t !== 'approvals'));
    expect(parseTeamsCommand('approvals here prod')).toEqual({ kind: 'approvals-here', role: 'prod' });
  });

  it('ships a 192×192 colour icon and a 32×32 white-on-transparent outline icon', () => {
    const color = readFileSync(resolve(dir, manifest.icons.color));
    const outline = readFileSync(resolve(dir, manifest.icons.outline));
    expect(pngSize(color)).toMatchObject({ width: 192, height: 192 });
    expect(pngSize(outline)).toMatchObject({ width: 32, height: 32, colorType: 6 });
    const pixels = rgbaRows(outline, 32);
    const alphas = new Set(pixels.map((p) => p[3]));
    expect(alphas).toEqual(new Set([0, 255]));
    expect(pixels.filter((p) => p[3] === 255).every((p) => p[0] === 255 && p[1] === 255 && p[2] === 255)).toBe(true);
  });
});

describe('npm run teams:package', () => {
  it('zips manifest.json and the icons at the root, with this bot id and domain filled in', () => {
    const colorPng = readFileSync(resolve(dir, 'color.png'));
    const outlinePng = readFileSync(resolve(dir, 'outline.png'));
    const appId = '12345678-1234-1234-1234-123456789abc';
    const zip = buildTeamsPackage({ manifest: JSON.parse(raw) as Record<string, unknown>, colorPng, outlinePng, appId, publicUrl: 'https://eg.corp.example/' });
    const files = unzip(zip);
    expect([...files.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(files.get('color.png')!.equals(colorPng)).toBe(true);
    const m = JSON.parse(files.get('manifest.json')!.toString('utf8')) as typeof manifest;
    expect(m.id).toBe(appId);
    expect(m.bots[0]!.botId).toBe(appId);
    expect(m.validDomains).toEqual(['eg.corp.example']);
    expect(m.developer.websiteUrl).toBe('https://eg.corp.example');
    expect(() => buildTeamsPackage({ manifest: {}, colorPng, outlinePng, appId: 'not-a-guid' })).toThrow(/GUID/);
  });
});

/** Reads a zip through its central directory (what Teams does), inflating each entry. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.set(name, inflateRawSync(zip.subarray(dataAt, dataAt + size)));
    at += 46 + nameLen + extra;
  }
  return out;
}

/** The RGBA pixels of an unfiltered PNG (as ours are written). */
function rgbaRows(png: Buffer, width: number): number[][] {
  const idat = png.indexOf('IDAT');
  const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
  const px: number[][] = [];
  for (let y = 0; y * (width * 4 + 1) < raw.length; y++) {
    for (let x = 0; x < width; x++) px.push([...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 5 + x * 4)]);
  }
  return px;
}
