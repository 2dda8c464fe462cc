import fs from 'node:fs';
import path from 'node:path';

/**
 * A `script` firewall that keeps its allowed CIDRs in a file and takes its time: each apply and
 * revoke sleeps $DELAY seconds, and logs when it began and ended (with the pid of the EntryGuard
 * process that ran it) to $MARKS, so tests can see calls in flight, and overlapping ones. A flock
 * makes the file edits atomic even when a killed worker's orphaned command is still running.
 */
export function slowAllowlistConfig(dir: string, name: string, delaySeconds: number) {
  const file = path.join(dir, `${name}.allow`);
  const mark = (phase: string) => `echo "${phase} $EG_ACTION $EG_CIDR $PPID $(date +%s%N)" >> "$MARKS"`;
  const locked = (body: string) => `( flock 9; ${body} ) 9>"$ALLOWLIST.lock"`;
  return {
    env: { ALLOWLIST: file, MARKS: path.join(dir, `${name}.marks`), DELAY: String(delaySeconds) },
    apply: [mark('begin'), 'sleep "$DELAY"', locked('touch "$ALLOWLIST"; grep -qxF "$EG_CIDR" "$ALLOWLIST" || echo "$EG_CIDR" >> "$ALLOWLIST"'), mark('end')].join('\n'),
    revoke: [
      mark('begin'),
      'sleep "$DELAY"',
      locked('touch "$ALLOWLIST"; grep -vxF "$EG_CIDR" "$ALLOWLIST" > "$ALLOWLIST.tmp" || true; mv "$ALLOWLIST.tmp" "$ALLOWLIST"'),
      mark('end'),
    ].join('\n'),
    list: 'cat "$ALLOWLIST" 2>/dev/null || true',
    verify: 'touch "$ALLOWLIST"',
    timeoutSeconds: 60,
  };
}

export function readAllowlist(dir: string, name: string): string[] {
  try {
    return fs.readFileSync(path.join(dir, `${name}.allow`), 'utf8').split('\n').filter(Boolean).sort();
  } catch {
    return [];
  }
}

export interface Call {
  action: string;
  cidr: string;
  pid: number;
  begin: number;
  end: number | undefined;
}

/** Provider calls made on one firewall, in order of their start (times in ms). */
export function readCalls(dir: string, name: string): Call[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, `${name}.marks`), 'utf8');
  } catch {
    return [];
  }
  const open = new Map<string, Call>();
  const calls: Call[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const [phase, action, cidr, pid, ns] = line.split(' ');
    const key = `${action} ${cidr} ${pid}`;
    const t = Number(BigInt(ns!) / 1_000_000n);
    if (phase === 'begin') {
      const call = { action: action!, cidr: cidr!, pid: Number(pid), begin: t, end: undefined };
      open.set(key, call);
      calls.push(call);
    } else {
      const call = open.get(key);
      if (call) call.end = t;
      open.delete(key);
    }
  }
  return calls;
}

/** Pairs of calls on one firewall that were in flight at the same time, ignoring calls of the given (killed) processes. */
export function overlappingCalls(calls: Call[], ignorePids: Set<number> = new Set()): [Call, Call][] {
  const live = calls.filter((c) => !ignorePids.has(c.pid));
  const pairs: [Call, Call][] = [];
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      if (b.begin < (a.end ?? Infinity) && a.begin < (b.end ?? Infinity)) pairs.push([a, b]);
    }
  }
  return pairs;
}
