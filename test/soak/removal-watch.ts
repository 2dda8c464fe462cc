/**
 * Watches firewalls (polled) and remembers when each rule left, and when processes were killed
 * and back, so the soak can tell how long a rule outlived the last session that wanted it —
 * counted from the restart when a kill stood in between.
 */
export class RemovalWatch {
  private present = new Set<string>();
  private removals: { key: string; at: number }[] = [];
  private kills: number[] = [];
  private restarts: number[] = [];

  observe(firewalls: { resourceId: string; cidrs: string[] }[]): void {
    const now = Date.now();
    const seen = new Set(firewalls.flatMap((f) => f.cidrs.map((c) => `${f.resourceId} ${c}`)));
    for (const key of this.present) if (!seen.has(key)) this.removals.push({ key, at: now });
    this.present = seen;
  }

  killed(at: number): void {
    this.kills.push(at);
  }

  restarted(at: number): void {
    this.restarts.push(at);
  }

  /**
   * The longest time a rule stayed after it was last wanted, with what happened around it.
   * `ended`: for each "resourceId cidr", the end times of the sessions that held it.
   */
  longestOutlive(ended: Map<string, number[]>): { ms: number; detail: string } {
    let worst = { ms: 0, detail: '' };
    for (const { key, at } of this.removals) {
      const unwantedAt = Math.max(...(ended.get(key) ?? []).filter((t) => t <= at));
      if (!Number.isFinite(unwantedAt)) continue;
      // A kill between the end and the removal: the clock starts when the process was back.
      const killedBetween = this.kills.some((k) => k >= unwantedAt - 5_000 && k <= at);
      const backAt = killedBetween ? Math.max(unwantedAt, ...this.restarts.filter((r) => r <= at)) : unwantedAt;
      if (at - backAt > worst.ms) {
        const rel = (t: number) => `${((t - unwantedAt) / 1000).toFixed(1)}s`;
        const kills = this.kills.filter((k) => k >= unwantedAt - 10_000 && k <= at).map(rel);
        const restarts = this.restarts.filter((r) => r >= unwantedAt - 10_000 && r <= at).map(rel);
        worst = { ms: at - backAt, detail: `${key}: removed at ${rel(at)} after its end; kills at [${kills.join(', ')}], restarts at [${restarts.join(', ')}]` };
      }
    }
    return worst;
  }
}
