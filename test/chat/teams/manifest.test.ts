import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync, inflateSync } from 'node:zlib';
import type { ValidateFunction } from 'ajv';
// Both are CommonJS; under NodeNext their classes are on `.default`.
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parseTeamsCommand } from '../../../src/chat/teams/command-parse.ts';
import { COMMANDS } from '../../../src/chat/teams/ids.ts';
import { buildTeamsPackage } from '../../../src/chat/teams/package/build-package.ts';
import { ACCENT } from '../../../src/chat/teams/package/icons.ts';
import { pngSize } from '../../../src/chat/teams/package/png.ts';

/*
 * The official Teams manifest schema, as Microsoft ships it in @microsoft/app-manifest (pinned as a
 * dev dependency; the same files the Developer Portal and the Agents Toolkit validate with). It is
 * JSON Schema draft-04, hence ajv-draft-04. Teams refuses an upload that fails it.
 */
const dir = resolve(import.meta.dirname, '../../../manifests/teams');
const raw = readFileSync(resolve(dir, 'manifest.json'), 'utf8');
type Command = { title: string; description: string };
const manifest = JSON.parse(raw) as {
  $schema: string;
  manifestVersion: string;
  id: string;
  developer: Record<string, string>;
  icons: { color: string; outline: string };
  accentColor: string;
  bots: { botId: string; scopes: string[]; commandLists: { scopes: string[]; commands: Command[] }[] }[];
  validDomains: string[];
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const validateManifest = officialSchemaValidator(manifest.manifestVersion);

describe('manifests/teams/manifest.json', () => {
  it('is valid against the official Teams schema of its manifestVersion', () => {
    expect(manifest.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(schemaErrors(manifest)).toEqual([]);
    expect(manifest.accentColor).toBe(ACCENT);
  });

  it('the schema check is a real one: it refuses what Teams would refuse', () => {
    const broken = JSON.parse(raw) as typeof manifest;
    broken.accentColor = 'blue';
    broken.bots[0]!.scopes.push('everyone');
    (broken as Record<string, unknown>).botName = 'x';
    expect(schemaErrors(broken)).toEqual([
      ' must NOT have additional properties',
      '/accentColor must match pattern "^#[0-9a-fA-F]{6}$"',
      '/bots/0/scopes/3 must be equal to one of the allowed values',
    ]);
  });

  it('declares one conversational bot in personal, team and group chat scopes', () => {
    expect(manifest.bots).toHaveLength(1);
    const [bot] = manifest.bots;
    expect(bot!.botId).toMatch(GUID);
    expect([...bot!.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
  });

  it('lists exactly the commands the code understands, with the same descriptions', () => {
    const lists = manifest.bots[0]!.commandLists;
    const byTitle = new Map<string, string>(COMMANDS.map((c) => [c.title, c.description]));
    for (const list of lists) {
      for (const c of list.commands) {
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
    expect(schemaErrors(m)).toEqual([]);
    expect(() => buildTeamsPackage({ manifest: {}, colorPng, outlinePng, appId: 'not-a-guid' })).toThrow(/GUID/);
  });
});

function officialSchemaValidator(version: string): ValidateFunction {
  const schemaFile = fileURLToPath(import.meta.resolve(`@microsoft/app-manifest/build/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`));
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
}

function schemaErrors(candidate: unknown): string[] {
  if (validateManifest(candidate)) return [];
  return (validateManifest.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`).sort();
}

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
