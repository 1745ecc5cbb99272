import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import type { AcceptedEvent, EventType } from '../../events/domain/accepted-event';
import { partitionOf } from '../../events/domain/partition';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config/ingestion.env';
import { EVENT_DEBUGGER, type EventDebugger } from '../../debugger/application/event-debugger.port';
import type { VerifiedWriteKey } from '../../sources/application/write-key-verifier.port';
import {
  TRACKING_PLAN_CHECKER,
  type PlanVerdict,
  type TrackingPlanChecker,
} from '../../tracking-plans/application/tracking-plan-checker.port';
import { acceptedEventJson, requestJson } from '../domain/accepted-event-json';
import type { RawEventsText } from '../domain/raw-json';
import {
  DEFAULT_MAX_DEPTH,
  isEventType,
  normalizeEvent,
  validateObject,
  validateTimestamp,
  type EventLimits,
  type FieldError,
  type RequestContext,
} from '../domain/segment-event';
import {
  ACCEPTED_EVENT_SINK,
  COLLECTION_METRICS,
  type AcceptedEventSink,
  type CollectionMetrics,
  type PartitionedEvent,
} from './accepted-event-sink.port';
import type {
  CollectOptions,
  CollectResult,
  EventCollector,
  EventRejection,
} from './event-collector.port';

/** Accepted events of one request handed to the debugger (rejected ones are always recorded). */
const DEBUGGER_SAMPLE_PER_REQUEST = 5;

/** What waits for JetStream: the outcome of a request, without its parsed body. */
interface PreparedRequest {
  readonly receivedAt: string;
  /** Settles when the sink stored every accepted event (absent: nothing to store). */
  readonly published: Promise<void> | undefined;
  readonly accepted: string[];
  readonly rejected: EventRejection[];
  readonly blocked: number;
  /** Accepted events shown in the debugger once stored. */
  readonly samples: AcceptedEvent[];
}

/** Extra, per-call knobs of the HTTP path (not part of the shared port). */
export interface CollectCallOptions extends CollectOptions {
  /** Exact bytes of a single-event body, so it is not measured again. */
  readonly knownBytes?: number;
  /**
   * The request body's text with each event located in it (`rawEvents[i]` is event i of it):
   * unchanged values are copied from it instead of serialised again (ADR 0050).
   */
  readonly rawText?: RawEventsText;
}

/**
 * The one path of every event into the platform: validate and normalise (domain), apply the
 * source's tracking plan, publish to JetStream partitioned by person, then record in the
 * debugger. Resolves only when every accepted event is stored; if any publish fails the whole
 * call fails with a retryable `unavailable` error and the caller acknowledges nothing (events
 * stored before the failure are re-sent by the client and deduplicated by messageId downstream).
 */
@Injectable()
export class CollectEventsUseCase implements EventCollector {
  private readonly limits: EventLimits;
  private readonly partitions: number;

  constructor(
    @Inject(ACCEPTED_EVENT_SINK) private readonly sink: AcceptedEventSink,
    @Inject(TRACKING_PLAN_CHECKER) private readonly plans: TrackingPlanChecker,
    @Inject(EVENT_DEBUGGER) private readonly debug: EventDebugger,
    @Inject(COLLECTION_METRICS) private readonly metrics: CollectionMetrics,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.limits = { maxEventBytes: config.INGEST_MAX_EVENT_BYTES, maxDepth: DEFAULT_MAX_DEPTH };
    this.partitions = config.INGEST_PARTITIONS;
  }

  /**
   * Why two steps: `prepare` reads the parsed request and hands every accepted event to the
   * sink as JSON; only its small result waits for JetStream. Nothing that waits holds the parsed
   * body, so under load the in-flight requests keep little on the young heap and scavenges stay
   * cheap (ADR 0050).
   */
  collect(
    source: VerifiedWriteKey,
    rawEvents: readonly unknown[],
    options: CollectCallOptions = {},
  ): Promise<CollectResult> {
    return this.prepare(source, rawEvents, options).then((prepared) =>
      this.finish(source, prepared),
    );
  }

  private async prepare(
    source: VerifiedWriteKey,
    rawEvents: readonly unknown[],
    options: CollectCallOptions,
  ): Promise<PreparedRequest> {
    const request = this.requestContext(source, options);
    this.metrics.requestSize(rawEvents.length);
    const accepted: string[] = [];
    const samples: AcceptedEvent[] = [];
    const rejected: EventRejection[] = [];
    const toPublish: PartitionedEvent[] = [];
    let blocked = 0;
    const eventJson = requestJson(request);
    const rawText = options.rawText;
    const asciiOut = rawText?.ascii === true && isAscii(eventJson.ids);

    for (let index = 0; index < rawEvents.length; index++) {
      const raw = rawEvents[index];
      const result = normalizeEvent(
        raw,
        request,
        this.limits,
        randomUUID,
        rawEvents.length === 1 ? options.knownBytes : undefined,
      );
      if (!result.ok) {
        this.reject(source, request, rejected, index, raw, result.errors);
        continue;
      }
      let event = result.event;
      let verdict = this.plans.check(source.workspaceId, source.sourceId, event);
      if (verdict instanceof Promise) verdict = await verdict;
      if (verdict.action === 'block') {
        blocked++;
        this.reject(source, request, rejected, index, raw, violationsAsErrors(verdict));
        continue;
      }
      if (verdict.action === 'flag') event = { ...event, violations: verdict.violations };
      const personKey = event.anonymousId ?? event.userId ?? event.previousId ?? event.messageId;
      const json = acceptedEventJson(
        event,
        eventJson,
        rawText === undefined
          ? undefined
          : { call: raw as Record<string, unknown>, text: rawText, index },
      );
      toPublish.push({
        event,
        partition: partitionOf(source.workspaceId, personKey, this.partitions),
        json,
        // Every character of an ASCII body, and of what ingestion adds, is one byte.
        bytes: asciiOut && event.violations === undefined ? json.length : Buffer.byteLength(json),
      });
      accepted.push(event.messageId);
      // The debugger shows a sample: a few events of each request are enough to see what a
      // source sends, and recording all of a 100-event batch would cost the hot path for nothing.
      if (samples.length < DEBUGGER_SAMPLE_PER_REQUEST) samples.push(event);
    }
    const published = toPublish.length > 0 ? this.sink.publishAll(toPublish) : undefined;
    // `finish` awaits it a few microtasks later; never report it unhandled meanwhile.
    published?.catch(() => undefined);
    return {
      receivedAt: request.receivedAt,
      published,
      accepted,
      rejected,
      blocked,
      samples,
    };
  }

  private async finish(
    source: VerifiedWriteKey,
    prepared: PreparedRequest,
  ): Promise<CollectResult> {
    const { accepted, rejected, blocked } = prepared;
    if (prepared.published !== undefined) {
      try {
        await prepared.published;
      } catch (error) {
        this.metrics.rejected('unavailable', accepted.length);
        throw error instanceof DomainError
          ? error
          : new DomainError(
              'unavailable',
              'ingestion.publish_failed',
              'events could not be stored, retry later',
              undefined,
              2,
            );
      }
    }
    if (accepted.length > 0) this.metrics.accepted(accepted.length);
    if (rejected.length > blocked) this.metrics.rejected('invalid', rejected.length - blocked);
    if (blocked > 0) this.metrics.rejected('blocked', blocked);
    for (const event of prepared.samples) {
      this.debug.record(source.workspaceId, source.sourceId, {
        status: 'accepted',
        receivedAt: prepared.receivedAt,
        event,
      });
    }
    return { accepted, rejected };
  }

  /** Request-level values validated once; a bad one fails the whole request. */
  private requestContext(source: VerifiedWriteKey, options: CollectCallOptions): RequestContext {
    const receivedAtDate = options.receivedAt ?? new Date();
    const errors: FieldError[] = [];
    const context = validateObject(options.context, 'context', this.limits);
    const integrations = validateObject(options.integrations, 'integrations', this.limits);
    const sentAt = validateTimestamp(options.sentAt, 'sentAt');
    errors.push(...context.errors, ...integrations.errors, ...sentAt.errors);
    let impliedType: EventType | undefined;
    if (options.impliedType !== undefined) {
      if (!isEventType(options.impliedType))
        errors.push({ field: 'type', message: `unknown event type ${options.impliedType}` });
      else impliedType = options.impliedType;
    }
    if (errors.length > 0) {
      this.metrics.rejected('invalid', 1);
      throw new DomainError('invalid', 'event.invalid', describe(errors), { errors });
    }
    return {
      workspaceId: source.workspaceId,
      sourceId: source.sourceId,
      writeKeyId: source.writeKeyId,
      receivedAtMs: receivedAtDate.getTime(),
      receivedAt: receivedAtDate.toISOString(),
      ...(sentAt.ms === undefined
        ? {}
        : { batchSentAtMs: sentAt.ms, batchSentAt: options.sentAt as string }),
      ...(context.value === undefined ? {} : { batchContext: context.value }),
      ...(integrations.value === undefined ? {} : { batchIntegrations: integrations.value }),
      ...(impliedType === undefined ? {} : { impliedType }),
    };
  }

  private reject(
    source: VerifiedWriteKey,
    request: RequestContext,
    rejected: EventRejection[],
    index: number,
    raw: unknown,
    errors: readonly FieldError[],
  ): void {
    rejected.push({ index, errors });
    this.debug.record(source.workspaceId, source.sourceId, {
      status: 'rejected',
      receivedAt: request.receivedAt,
      event: raw,
      reasons: errors,
    });
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function violationsAsErrors(verdict: Extract<PlanVerdict, { action: 'block' }>): FieldError[] {
  return verdict.violations.map((v) => ({
    field: v.path,
    message: `tracking plan: ${v.message}`,
  }));
}

/** One line naming the first field at fault, e.g. `userId: userId or anonymousId is required`. */
export function describe(errors: readonly FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return 'invalid event';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.field}: ${first.message}${more}`;
}
