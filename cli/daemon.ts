// Starts long-lived units in order and stops them once, in reverse, each in its own try/catch.
import type { Logger } from 'pino';

export interface Unit {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Daemon {
  private readonly started: Unit[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly units: readonly Unit[],
    private readonly logger: Logger,
  ) {}

  /**
   * A unit that fails to start stops the ones already started and rethrows: a meter that runs with half
   * its parts (say, no RADIUS socket) would look healthy while losing usage.
   */
  async start(): Promise<void> {
    for (const unit of this.units) {
      try {
        await unit.start();
        this.started.push(unit);
      } catch (err) {
        await this.stop();
        throw new Error(`${unit.name}: could not start: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const unit of [...this.started].reverse()) {
        try {
          await unit.stop();
        } catch (err) {
          this.logger.error({ err, unit: unit.name }, 'unit did not stop cleanly');
        }
      }
    })();
    return this.stopping;
  }
}
