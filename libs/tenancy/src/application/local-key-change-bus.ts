import { type KeyChangeBus, type KeyChangedEvent } from './ports';

/**
 * Delivers key changes to listeners of this process only. The NATS bus builds on it for local
 * delivery; alone it fits a single-process deployment or unit tests.
 */
export class LocalKeyChangeBus implements KeyChangeBus {
  private readonly changeListeners = new Set<(event: KeyChangedEvent) => void>();
  private readonly resyncListeners = new Set<() => void>();

  publish(event: KeyChangedEvent): Promise<void> {
    this.deliver(event);
    return Promise.resolve();
  }

  onKeyChanged(listener: (event: KeyChangedEvent) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** Calls every change listener; one failing listener does not stop the others. */
  deliver(event: KeyChangedEvent): void {
    for (const listener of this.changeListeners) {
      try {
        listener(event);
      } catch {
        // A cache listener cannot fail meaningfully; never let one break the delivery loop.
      }
    }
  }

  resync(): void {
    for (const listener of this.resyncListeners) {
      try {
        listener();
      } catch {
        // see deliver()
      }
    }
  }
}
