// Rate-limited logging of what a collector drops: at most one line per reason per interval, carrying the count.
import type { Logger } from 'pino';

/** Where a drop came from; never packet bytes or secrets. */
export interface DropContext {
  /** Source "address:port". */
  source: string;
  /** The configured device (NAS or exporter) when known. */
  nas?: string;
  exporter?: string;
  detail?: string;
}

export class DropLog<Reason extends string> {
  private readonly last = new Map<Reason, { at: number; suppressed: number }>();

  /** `what` starts each line, e.g. "radius packet dropped" or "netflow drop". */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  drop(reason: Reason, ctx: DropContext): void {
    const t = this.now();
    const entry = this.last.get(reason);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    // `count` covers this drop plus those suppressed since the previous line for this reason.
    this.logger.warn({ reason, count: (entry?.suppressed ?? 0) + 1, ...ctx }, `${this.what}: ${reason}`);
    this.last.set(reason, { at: t, suppressed: 0 });
  }

  /** Logs what is still suppressed (on stop), so no drop goes unreported. */
  flush(): void {
    for (const [reason, e] of this.last) {
      if (e.suppressed > 0) this.logger.warn({ reason, count: e.suppressed }, `${this.what}: ${reason}`);
      e.suppressed = 0;
    }
  }
}
