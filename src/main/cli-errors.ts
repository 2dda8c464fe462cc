/**
 * Errors the CLI prints as one plain line, without a stack: the operator's mistake or the
 * machine's state, not a bug. A usage error also prints the usage and exits 2 (as getopt tools do).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure to start that names its cause and the fix (a port in use); exit 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Node's listen errors, as one line that says what to change. */
export function toListenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new StartupError(`port ${port} is already in use; set PORT to a free port (or stop the other process)`);
  if (code === 'EACCES') return new StartupError(`not allowed to listen on port ${port}; set PORT to 1024 or above`);
  if (code === 'EADDRNOTAVAIL') return new StartupError(`cannot listen on ${host}: no such address on this machine; set HOST`);
  return err;
}
