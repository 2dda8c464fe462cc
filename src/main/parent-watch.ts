/**
 * Under npm (`npm start`, `npx entryguard …`), calls `onGone` once when the process that started
 * us exits. npm runs us under `sh -c`, and on SIGTERM it signals that shell, which dies without
 * passing the signal on: we would be left running, re-parented, holding the port and the embedded
 * Postgres. Seeing our parent change is the sign that works whatever shell sits in between.
 * Only under npm: started directly (`nohup node … &`, a service manager), a parent going away is
 * no reason to stop.
 */
export function whenParentExits(onGone: () => void, env: Record<string, string | undefined>, intervalMs = 500): void {
  if (env.npm_lifecycle_event === undefined && env.npm_command === undefined) return;
  const parent = process.ppid;
  // Already an orphan, or started by init / a container's PID 1: nothing to watch.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}
