/**
 * Listeners of one kind of event. A listener that throws is reported through `failed` and the
 * others still run: one broken consumer (a UI part, a subscriber) must not starve the rest.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(event: T) => void>();

  constructor(private readonly failed: (error: unknown) => void) {}

  /** Adds a listener; the returned function removes it. */
  on(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: T): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.failed(e);
      }
    }
  }
}
