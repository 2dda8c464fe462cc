/**
 * Calls `onGone` once when the process that started us exits. `npm start` runs us under `sh -c`,
 * and on SIGTERM npm signals that shell, which dies without passing the signal on: we would be
 * left running, re-parented, holding the port and the embedded Postgres. Seeing our parent
 * change is the one sign that works whatever shell or process manager sits in between.
 */
export function whenParentExits(onGone: () => void, intervalMs = 500): void {
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
