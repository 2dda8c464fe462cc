import { parseCidr } from '../cidr.ts';

/** Lines a warning names at most, and how much of each: enough to find them, never a whole dump. */
const NAMED_LINES = 10;
const LINE_CHARS = 80;

export interface ListOutput {
  /** Canonical CIDRs in the order printed, each once. A bare address becomes its host CIDR (/32, /128). */
  cidrs: string[];
  /** Lines that are neither, shortened for a log line. */
  ignored: string[];
  ignoredCount: number;
}

/**
 * Reads what a `list` command printed: one CIDR or bare IP address per line; blank lines and
 * lines starting with `#` are skipped. Anything else (a trailing comment, host bits set, a
 * truncated last line, a stray message) is not guessed at: it is ignored and named, because a
 * wrong guess would make EntryGuard think an address is open or gone.
 */
export function parseListOutput(stdout: string): ListOutput {
  const cidrs = new Set<string>();
  const ignored: string[] = [];
  let ignoredCount = 0;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parsed = parseCidr(line);
    if (parsed) {
      cidrs.add(parsed.cidr);
      continue;
    }
    ignoredCount += 1;
    if (ignored.length < NAMED_LINES) ignored.push(line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}…` : line);
  }
  return { cidrs: [...cidrs], ignored, ignoredCount };
}
