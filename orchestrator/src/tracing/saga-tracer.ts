import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { TimelineEntry } from '@sagaflow/contracts';
import type { Logger } from '@sagaflow/contracts/messaging';
import type { SagaObserver } from '../engine/saga-observer.js';
import type { SagaCommit, SagaRecord } from '../store/saga-store.js';
import { sagaSpanId, sagaTraceOf, stepSpanId, type SagaTrace } from './saga-trace.js';

// Spans leave twice a second; a burst of a few thousand sagas waits in the queue instead of being dropped.
const EXPORT_BATCHING = { scheduledDelayMillis: 500, maxQueueSize: 16_384, maxExportBatchSize: 1_024 };
const SCOPE = { name: '@sagaflow/orchestrator' };

const hrTimeOfMillis = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
const hrTimeOf = (iso: string): HrTime => hrTimeOfMillis(Date.parse(iso));

interface SpanData {
  name: string;
  trace: SagaTrace;
  spanId: string;
  parentSpanId?: string;
  start: string;
  end: string;
  attributes: Attributes;
  events?: TimedEvent[];
}

/**
 * Exports a saga's spans to an OTLP/HTTP collector, derived from its timeline: a step's span runs
 * from its command's first send to the reply (resends and timeouts are events on it), the saga's
 * from its start to its end. Spans are built when they end, from what the store holds, so that a
 * saga whose steps ran on several orchestrators still makes one trace.
 */
export class SagaTracer implements SagaObserver {
  private readonly processor: BatchSpanProcessor;
  private readonly resource = resourceFromAttributes({ 'service.name': 'orchestrator' });

  constructor(endpoint: string, log: Logger) {
    const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
    this.processor = new BatchSpanProcessor(exporter, EXPORT_BATCHING);
    log.info('exporting saga traces', { endpoint });
  }

  observeCommit({ saga, newEntries }: SagaCommit): void {
    const trace = sagaTraceOf(saga);
    if (!trace.sampled) return;
    for (const entry of newEntries) {
      if (entry.kind === 'reply.received') this.endStep(saga, trace, entry);
      else if (entry.kind === 'saga.completed' || entry.kind === 'saga.cancelled') this.endSaga(saga, trace, entry);
    }
  }

  async stop(): Promise<void> {
    await this.processor.shutdown();
  }

  private endStep(saga: SagaRecord, trace: SagaTrace, reply: TimelineEntry): void {
    const commandId = String(reply.detail.commandId);
    const ofCommand = saga.timeline.filter((e) => e.detail.commandId === commandId && e.seq < reply.seq);
    const sent = ofCommand.find((e) => e.kind === 'command.sent');
    if (!sent) return;
    const outcome = String(reply.detail.outcome);
    this.export({
      name: sent.step ?? String(sent.detail.type),
      trace,
      spanId: stepSpanId(commandId),
      parentSpanId: sagaSpanId(saga.sagaId),
      start: sent.at,
      end: reply.at,
      attributes: {
        'sagaflow.saga_id': saga.sagaId,
        'sagaflow.order_id': saga.orderId,
        'sagaflow.command_id': commandId,
        'sagaflow.command_type': String(sent.detail.type),
        'sagaflow.outcome': outcome,
        'sagaflow.attempts': ofCommand.filter((e) => e.kind !== 'step.timeout').length,
        ...(reply.detail.reason !== undefined && { 'sagaflow.reason': String(reply.detail.reason) }),
      },
      events: ofCommand
        .filter((e) => e.kind === 'command.resent' || e.kind === 'step.timeout')
        .map((e) => ({ name: e.kind, time: hrTimeOf(e.at), droppedAttributesCount: 0 })),
    });
  }

  private endSaga(saga: SagaRecord, trace: SagaTrace, end: TimelineEntry): void {
    this.export({
      name: `${saga.type} saga`,
      trace,
      spanId: sagaSpanId(saga.sagaId),
      parentSpanId: trace.parentSpanId,
      start: saga.createdAt.toISOString(),
      end: end.at,
      attributes: {
        'sagaflow.saga_id': saga.sagaId,
        'sagaflow.saga_type': saga.type,
        'sagaflow.order_id': saga.orderId,
        'sagaflow.status': saga.status,
        ...(end.detail.reason !== undefined && { 'sagaflow.reason': String(end.detail.reason) }),
      },
    });
  }

  private export(data: SpanData): void {
    const context: SpanContext = { traceId: data.trace.traceId, spanId: data.spanId, traceFlags: TraceFlags.SAMPLED };
    const span: ReadableSpan = {
      name: data.name,
      kind: SpanKind.INTERNAL,
      spanContext: () => context,
      ...(data.parentSpanId && {
        parentSpanContext: { traceId: data.trace.traceId, spanId: data.parentSpanId, traceFlags: TraceFlags.SAMPLED },
      }),
      startTime: hrTimeOf(data.start),
      endTime: hrTimeOf(data.end),
      duration: hrTimeOfMillis(Math.max(0, Date.parse(data.end) - Date.parse(data.start))),
      // A declined payment or missing stock is an outcome, not an error: the status stays unset.
      status: { code: SpanStatusCode.UNSET },
      attributes: data.attributes,
      links: [],
      events: data.events ?? [],
      ended: true,
      resource: this.resource,
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    this.processor.onEnd(span);
  }
}
