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

  /** `ended`: for each "resourceId cidr", the end times of the sessions that held it. */
  maxOutliveMs(ended: Map<string, number[]>): number {
    let max = 0;
    for (const { key, at } of this.removals) {
      const unwantedAt = Math.max(...(ended.get(key) ?? []).filter((t) => t <= at));
      if (!Number.isFinite(unwantedAt)) continue;
      // A kill between the end and the removal: the clock starts when the process was back.
      const killedBetween = this.kills.some((k) => k >= unwantedAt - 5_000 && k <= at);
      const backAt = killedBetween ? Math.max(unwantedAt, ...this.restarts.filter((r) => r <= at)) : unwantedAt;
      max = Math.max(max, at - backAt);
    }
    return max;
  }
}
