// Rate-limited logging of failed polls: one line per target and reason per interval, with the count; one line on recovery.
import type { Logger } from 'pino';
import type { SnmpError, SnmpErrorReason } from './snmp-client.js';

export class PollErrorLog {
  private readonly last = new Map<string, { at: number; suppressed: number; reason: SnmpErrorReason }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** The message of an SnmpError never holds a community or key (snmp-client.ts makes sure). */
  report(target: string, err: SnmpError): void {
    const key = `${target}\0${err.reason}`;
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.log.error({ target, reason: err.reason, count: (entry?.suppressed ?? 0) + 1 }, `snmp: poll of ${target} failed: ${err.message}`);
    this.last.set(key, { at: t, suppressed: 0, reason: err.reason });
  }

  recovered(target: string): void {
    let was: SnmpErrorReason | undefined;
    for (const [key, e] of this.last) {
      if (!key.startsWith(`${target}\0`)) continue;
      was = e.reason;
      this.last.delete(key);
    }
    if (was) this.log.info({ target, was }, `snmp: ${target} answers again`);
  }

  /** On stop: what was suppressed is still reported. */
  flush(): void {
    for (const [key, e] of this.last) {
      if (e.suppressed > 0) this.log.error({ target: key.split('\0')[0], reason: e.reason, count: e.suppressed }, 'snmp: polls failed (suppressed since the last line)');
    }
  }
}
