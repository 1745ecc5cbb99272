import { createLogger } from '../logger';
import { readinessCheckUp } from '../metrics';

/** Resolves when the dependency is usable; throws (with the reason) when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface CheckUp {
  readonly status: 'up';
  readonly latencyMs: number;
}
export interface CheckDown {
  readonly status: 'down';
  readonly error: string;
  readonly latencyMs: number;
}
export type CheckResult = CheckUp | CheckDown;

export interface ReadinessReport {
  readonly status: 'ready' | 'not_ready';
  readonly checks: Record<string, CheckResult>;
  /** Set once the process is shutting down: it takes no new traffic whatever the checks say. */
  readonly draining?: true;
}

export interface HealthRegistryOptions {
  /** Upper bound of one check; a slower check counts as down. Default 2000 ms. */
  readonly timeoutMs?: number;
}

export interface RegisterOptions {
  readonly timeoutMs?: number;
}

/** Registers checks under `<service>.<name>` (`identity.postgres`). */
export interface ScopedHealthRegistry {
  register(name: string, check: ReadinessCheck, options?: RegisterOptions): () => void;
}

interface Entry {
  readonly check: ReadinessCheck;
  readonly timeoutMs: number;
}

class CheckTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

const log = createLogger('health');

/**
 * Named readiness checks of the whole process. In monolithic mode every hosted service adds its
 * own (names prefixed by the service), and `/health/ready` reports them together. Checks run
 * concurrently, each bounded by a timeout, so one hung dependency cannot hang the probe.
 */
export class HealthRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly lastStatus = new Map<string, CheckResult['status']>();
  private readonly timeoutMs: number;
  private draining = false;

  constructor(options: HealthRegistryOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** Adds a check; returns a function removing it. A name can be registered once. */
  register(name: string, check: ReadinessCheck, options: RegisterOptions = {}): () => void {
    if (!name) throw new Error('a readiness check needs a name');
    if (this.entries.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    const entry: Entry = { check, timeoutMs: options.timeoutMs ?? this.timeoutMs };
    this.entries.set(name, entry);
    return () => {
      if (this.entries.get(name) === entry) {
        this.entries.delete(name);
        this.lastStatus.delete(name);
        readinessCheckUp.remove(name);
      }
    };
  }

  /** A view that prefixes every name with `<service>.`. */
  forService(service: string): ScopedHealthRegistry {
    return {
      register: (name, check, options) => this.register(`${service}.${name}`, check, options),
    };
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** From now on the process reports not ready (called when shutdown starts). */
  drain(): void {
    this.draining = true;
  }

  /** Runs every check; ready when all are up (and so when none is registered). */
  async check(): Promise<ReadinessReport> {
    const names = this.names();
    const results = await Promise.all(names.map((name) => this.run(name, this.entries.get(name)!)));
    const checks: Record<string, CheckResult> = {};
    names.forEach((name, i) => (checks[name] = results[i]!));
    const allUp = results.every((r) => r.status === 'up');
    if (this.draining) return { status: 'not_ready', checks, draining: true };
    return { status: allUp ? 'ready' : 'not_ready', checks };
  }

  private async run(name: string, entry: Entry): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeoutError(entry.timeoutMs)), entry.timeoutMs);
    });
    let result: CheckResult;
    try {
      // Promise.resolve().then: a check that throws synchronously is down, not a crashed probe.
      await Promise.race([Promise.resolve().then(entry.check), timeout]);
      result = { status: 'up', latencyMs: elapsed(started) };
    } catch (error) {
      result = { status: 'down', error: describe(error), latencyMs: elapsed(started) };
    } finally {
      clearTimeout(timer);
    }
    this.record(name, result);
    return result;
  }

  private record(name: string, result: CheckResult): void {
    readinessCheckUp.set({ check: name }, result.status === 'up' ? 1 : 0);
    const previous = this.lastStatus.get(name);
    this.lastStatus.set(name, result.status);
    if (previous === result.status) return; // log transitions only: probes run every few seconds
    if (result.status === 'down')
      log.warn({ check: name, error: result.error }, 'readiness check down');
    else if (previous === 'down') log.info({ check: name }, 'readiness check recovered');
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/** The reason shown on the public probe: one line, bounded, credentials in URLs masked. */
function describe(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = error.message || error.name;
  else if (typeof error === 'string') text = error;
  else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  const masked = text.replace(/\/\/[^/\s:@]+:[^@\s/]*@/g, '//***@').replace(/\s+/g, ' ');
  return masked.length > 300 ? `${masked.slice(0, 297)}...` : masked;
}
