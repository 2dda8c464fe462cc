import { encodePng, type Rgba } from './png.ts';

/** The manifest's accentColor; the colour icon's background. */
export const ACCENT = '#1F6FEB';

const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];
const accent = (): Rgba => [0x1f, 0x6f, 0xeb, 255];

/**
 * A keyhole (a disc over a tapering slot) in unit coordinates (0..1): EntryGuard opens a door
 * for a while. Shared by both icons so they match.
 */
function inKeyhole(u: number, v: number): boolean {
  const disc = (u - 0.5) ** 2 + (v - 0.4) ** 2 <= 0.15 ** 2;
  const half = 0.06 + (v - 0.45) * 0.18;
  const slot = v >= 0.45 && v <= 0.78 && Math.abs(u - 0.5) <= half;
  return disc || slot;
}

/** Teams' colour icon: 192×192, full-bleed accent background, white keyhole. */
export const colorIcon = (): Buffer => encodePng(192, 192, (x, y) => (inKeyhole((x + 0.5) / 192, (y + 0.5) / 192) ? WHITE : accent()));

/** Teams' outline icon: 32×32, white on transparent (Teams requires exactly that). */
export const outlineIcon = (): Buffer =>
  encodePng(32, 32, (x, y) => {
    const u = (x + 0.5) / 32;
    const v = (y + 0.5) / 32;
    const ring = Math.abs(Math.hypot(u - 0.5, v - 0.5) - 0.44) <= 0.035;
    return ring || inKeyhole(u, v) ? WHITE : CLEAR;
  });
