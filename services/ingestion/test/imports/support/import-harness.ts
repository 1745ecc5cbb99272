import type { DynamicModule, Provider } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { CollectEventsUseCase } from '../../../src/collection/application/collect-events.use-case';
import {
  EVENT_COLLECTOR,
  type CollectOptions,
  type CollectResult,
  type EventCollector,
} from '../../../src/collection/application/event-collector.port';
import { ingestionService } from '../../../src/ingestion.service-definition';
import type { VerifiedWriteKey } from '../../../src/sources/application/write-key-verifier.port';
import { startIngestion, type IngestionHarness } from '../../support/harness';

/**
 * The REAL collector (validation, JetStream publish), wrapped to record what it accepted and to
 * fail on demand the way it fails when NATS cannot store events (503 `unavailable`).
 */
export class RecordingCollector implements EventCollector {
  readonly acceptedIds = new Set<string>();
  readonly sources: VerifiedWriteKey[] = [];
  calls = 0;
  /** Fail every call from the Nth on (1-based), until cleared. */
  failFromCall: number | undefined;
  /** Artificial delay per call (ms), to watch progress. */
  delayMs = 0;
  private inner: EventCollector | undefined;

  attach(inner: EventCollector): this {
    this.inner = inner;
    return this;
  }

  async collect(
    source: VerifiedWriteKey,
    raw: readonly unknown[],
    options?: CollectOptions,
  ): Promise<CollectResult> {
    this.calls++;
    this.sources.push(source);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failFromCall !== undefined && this.calls >= this.failFromCall)
      throw new DomainError(
        'unavailable',
        'ingestion.publish_failed',
        'events could not be stored, retry later',
        undefined,
        2,
      );
    if (!this.inner) throw new Error('collector not attached');
    const result = await this.inner.collect(source, raw, options);
    for (const id of result.accepted) this.acceptedIds.add(id);
    return result;
  }
}

export interface ImportHarness extends IngestionHarness {
  readonly collector: RecordingCollector;
  /** Creates a source (real sources API) in the harness workspace, or another one's. */
  createSource(key?: string): Promise<string>;
}

/**
 * The shared harness, with the EVENT_COLLECTOR wrapped (sources are real: createSource). The service
 * definition is patched in this process only (each test file is its own process).
 */
export async function startImportHarness(env: Record<string, string> = {}): Promise<ImportHarness> {
  const collector = new RecordingCollector();
  const overrides: Provider[] = [
    {
      provide: EVENT_COLLECTOR,
      useFactory: (real: CollectEventsUseCase) => collector.attach(real),
      inject: [CollectEventsUseCase],
    },
  ];
  const definition = ingestionService as { module: typeof ingestionService.module };
  const original = ingestionService.module.bind(ingestionService);
  definition.module = (infrastructure): DynamicModule => {
    const module = original(infrastructure);
    return { ...module, providers: [...(module.providers ?? []), ...overrides] };
  };
  const harness = await startIngestion({ INGESTION_ROLES: 'api', ...env });
  const createSource = async (key?: string): Promise<string> => {
    const response = await harness.api('/v1/sources', {
      method: 'POST',
      body: JSON.stringify({ name: `import source ${Math.random()}`, kind: 'server' }),
      ...(key ? { key } : {}),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 201 || !body.id) throw new Error(`create source: ${response.status}`);
    return body.id;
  };
  return Object.assign(harness, { collector, createSource });
}
