import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Message } from '@sagaflow/contracts';

// Spans leave twice a second; a burst of a few thousand sagas waits in the queue instead of being dropped.
const EXPORT_BATCHING = { scheduledDelayMillis: 500, maxQueueSize: 16_384, maxExportBatchSize: 1_024 };
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A command's handling as a span: what the reply carries as its traceparent, and how it ends. */
export interface CommandSpan {
  readonly traceparent: string;
  end(outcome: string, duplicate: boolean): void;
  fail(error: unknown): void;
}

/**
 * Exports a span per command handled, child of the span the command names in its `traceparent` (the
 * orchestrator's step), to an OTLP/HTTP collector. Without an endpoint no tracer exists at all.
 */
export class CommandTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(service: string, endpoint: string) {
    const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [new BatchSpanProcessor(exporter, EXPORT_BATCHING)],
    });
    this.tracer = this.provider.getTracer('@sagaflow/participants');
  }

  start(message: Message): CommandSpan {
    const match = TRACEPARENT.exec(message.traceparent)!;
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
      isRemote: true,
    });
    const span: Span = this.tracer.startSpan(
      message.type,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'sagaflow.saga_id': message.sagaId ?? '',
          'sagaflow.command_id': message.commandId ?? '',
          'messaging.message.id': message.messageId,
        },
      },
      parent,
    );
    const own = span.spanContext();
    return {
      traceparent: `00-${own.traceId}-${own.spanId}-${match[3]}`,
      end: (outcome, duplicate) => {
        span.setAttributes({ 'sagaflow.outcome': outcome, 'sagaflow.duplicate': duplicate });
        span.end();
      },
      fail: (error) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        span.end();
      },
    };
  }

  async stop(): Promise<void> {
    await this.provider.shutdown();
  }
}
