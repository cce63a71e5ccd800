// Rate-limited logging of NetFlow drops and decode errors: one line per reason per interval, with the count.
import type { Logger } from 'pino';
import type { DecodeErrorReason } from './decode-error.js';
import type { DropReason as CollectorDropReason } from './metrics.js';

type DropReason = CollectorDropReason | DecodeErrorReason;

export interface DropContext {
  /** Source "address:port". */
  source: string;
  exporter?: string;
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
    this.logger.warn({ reason, count: (entry?.suppressed ?? 0) + 1, ...ctx }, `netflow drop: ${reason}`);
    this.last.set(reason, { at: t, suppressed: 0 });
  }

  /** Logs what is still suppressed (on stop), so no drop goes unreported. */
  flush(): void {
    for (const [reason, e] of this.last) {
      if (e.suppressed > 0) this.logger.warn({ reason, count: e.suppressed }, `netflow drop: ${reason}`);
      e.suppressed = 0;
    }
  }
}
