// Logs a device's failures without flooding: each distinct message once, a repeat at most once per interval with
// how often it happened in between.
import type { Logger } from 'pino';

export class FailureLog {
  private last: { text: string; at: number; repeated: number } | undefined;

  constructor(private readonly log: Logger, private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  failed(text: string, fields: Record<string, unknown>): void {
    const t = this.now();
    const last = this.last;
    if (last && last.text === text && t - last.at < this.intervalMs) {
      last.repeated++;
      return;
    }
    this.log.error({ ...fields, repeatedSinceLastLog: last?.text === text ? last.repeated : 0 }, text);
    this.last = { text, at: t, repeated: 0 };
  }

  /** After a success: the next failure is news again. */
  reset(): void {
    this.last = undefined;
  }
}
