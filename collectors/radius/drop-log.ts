// Rate-limited logging of dropped packets: at most one line per reason per interval, carrying the count.
import type { Logger } from 'pino';
import type { DropReason } from './metrics.js';

export interface DropContext {
  /** Source "address:port"; never the secret or packet bytes that could carry it. */
  source: string;
  nas?: string;
  detail?: string;
}

export class DropLog {
  private readonly last = new Map<DropReason, { at: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly intervalMs = 10_000, private readonly now: () => number = Date.now) {}

  drop(reason: DropReason, ctx: DropContext): void {
    const t = this.now();
    const entry = this.last.get(reason);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    // `count` covers this drop plus those suppressed since the previous line for this reason.
    this.logger.warn({ reason, count: (entry?.suppressed ?? 0) + 1, ...ctx }, `radius packet dropped: ${reason}`);
    this.last.set(reason, { at: t, suppressed: 0 });
  }

  /** Logs what is still suppressed (on stop), so no drop goes unreported. */
  flush(): void {
    for (const [reason, e] of this.last) {
      if (e.suppressed > 0) this.logger.warn({ reason, count: e.suppressed }, `radius packet dropped: ${reason}`);
      e.suppressed = 0;
    }
  }
}
