// Single-flight with one trailing run: a burst of N triggers while a run is in
// flight causes exactly one more run after it, never N parallel ones. Used for
// re-reading hiring://pending on notifications and for reconnect scheduling.

export class Coalescer {
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly run: () => Promise<void>) {}

  /** Starts a run, or marks one more to follow the run in flight. Resolves when the runs settle. */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.run();
      } catch {
        // the run reports its own errors; a failure must not stop the trailing run
      }
    } while (this.again);
  }
}
