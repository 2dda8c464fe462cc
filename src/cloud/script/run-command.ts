import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (the error code, e.g. ENOENT): never the
   *  error's message, which can quote the environment it was given. */
  startError?: string | undefined;
}

const MAX_OUTPUT = 64 * 1024;

/**
 * Runs `command` with `/bin/sh -c` and a clean environment (only what we pass: never the
 * process's own secrets). Kills the whole process group on timeout.
 */
export function runCommand(
  command: string,
  opts: { env: Record<string, string>; timeoutMs: number; cwd?: string | undefined; shell?: string | undefined },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(opts.shell ?? '/bin/sh', ['-c', command], {
        env: opts.env,
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      // spawn throws for an environment it cannot pass (a NUL byte in a value); its message quotes the value.
      resolve({ exitCode: null, timedOut: false, stdout: '', stderr: '', startError: errorCode(err) });
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: null, timedOut: false, stdout, stderr, startError: errorCode(err) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, stdout, stderr });
    });
  });
}

const errorCode = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_SPAWN';
};
