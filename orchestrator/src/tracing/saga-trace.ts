import { hash } from 'node:crypto';
import type { TimelineEntry } from '@sagaflow/contracts';

/**
 * Where a saga sits in W3C trace context. The request that started a saga gives it its trace (its
 * `traceparent` is kept in the `saga.started` timeline entry); span ids derive from the saga and
 * command ids, so that every orchestrator, also after a restart, names the same spans: the saga's
 * span, and one span per step, which the step's command carries as its parent to the participant.
 */
export interface SagaTrace {
  traceId: string;
  /** The caller's span, the parent of the saga's own; none when the saga began without one. */
  parentSpanId?: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZEROS = /^0+$/;

/** A request's `traceparent` if it is valid W3C trace context (version 00, non-zero ids). */
export function validTraceparent(header: string | undefined): string | undefined {
  const value = header?.trim().toLowerCase() ?? '';
  const match = TRACEPARENT.exec(value);
  if (!match || ZEROS.test(match[1]!) || ZEROS.test(match[2]!)) return undefined;
  return value;
}

// One-shot hashing: a Hash object per span id costs twice as much, and every commit derives a few.
const spanIdOf = (key: string): string => hash('sha256', key).slice(0, 16);

export const sagaSpanId = (sagaId: string): string => spanIdOf(`saga:${sagaId}`);
export const stepSpanId = (commandId: string): string => spanIdOf(`step:${commandId}`);

export function sagaTraceOf(saga: { sagaId: string; timeline: readonly TimelineEntry[] }): SagaTrace {
  const started = saga.timeline.find((entry) => entry.kind === 'saga.started');
  const match = TRACEPARENT.exec(String(started?.detail.traceparent ?? ''));
  if (match) {
    return { traceId: match[1]!, parentSpanId: match[2]!, sampled: (parseInt(match[3]!, 16) & 1) === 1 };
  }
  // A saga started before its timeline kept the traceparent: its trace id derives from its id.
  return { traceId: hash('md5', saga.sagaId), sampled: true };
}

export const traceparentOf = (trace: SagaTrace, spanId: string): string =>
  `00-${trace.traceId}-${spanId}-${trace.sampled ? '01' : '00'}`;
