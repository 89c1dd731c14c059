import { EXCHANGES, sagaEventKey, type SagaStatus, type TimelineEntry, type TimelineKind } from '@sagaflow/contracts';
import { commandRouteOf, createMessage, type Route } from '@sagaflow/contracts/messaging';
import { sagaStatusOf, stateNameOf } from '../sagas/index.js';
import type { SagaCommandEmitted, SagaContextBase, SagaEvent } from '../sagas/saga-protocol.js';
import { sagaSpanId, sagaTraceOf, stepSpanId, traceparentOf } from '../tracing/saga-trace.js';
import type { OrderPatch, OutboxEntry, SagaCommit, SagaRecord } from '../store/saga-store.js';
import type { RunningSaga, StepResult } from './running-saga.js';

/**
 * The pure half of the engine: given a saga record and an event, what the saga becomes, which
 * timeline entries and outbox messages that makes, and how the order changes. No I/O here.
 */
export interface TransitionSettings {
  now: Date;
  stepTimeoutMs: number;
}

type NewEntry = Omit<TimelineEntry, 'seq' | 'at'>;

function eventEntry(event: SagaEvent, record: SagaRecord | null): NewEntry | null {
  const step = record ? ((record.snapshot as { context?: SagaContextBase }).context?.awaiting?.step ?? null) : null;
  switch (event.type) {
    case 'REPLY':
      return {
        kind: 'reply.received',
        step,
        detail: {
          commandId: event.commandId,
          outcome: event.reply.outcome,
          ...(event.reply.outcome === 'failure' && { reason: event.reply.reason }),
        },
      };
    case 'TIMEOUT':
      return { kind: 'step.timeout', step, detail: { commandId: record?.awaitingCommandId ?? null } };
    case 'RETRY':
    case 'COMPENSATE':
      return { kind: 'ops.action', step, detail: { action: event.type.toLowerCase() } };
  }
}

function statusEntries(before: SagaStatus | null, after: SagaStatus, context: SagaContextBase): NewEntry[] {
  if (before === after) return [];
  const step = context.awaiting?.step ?? null;
  const entries: NewEntry[] = [];
  if (before === 'STALLED') entries.push({ kind: 'saga.resumed', step, detail: {} });
  const kinds: Partial<Record<SagaStatus, TimelineKind>> = {
    COMPENSATING: 'compensation.started',
    STALLED: 'saga.stalled',
    COMPLETED: 'saga.completed',
    CANCELLED: 'saga.cancelled',
  };
  const kind = kinds[after];
  if (kind === 'saga.stalled') entries.push({ kind, step, detail: { attempts: context.awaiting?.attempts ?? 0 } });
  else if (kind)
    entries.push({ kind, step: null, detail: context.order.reason ? { reason: context.order.reason } : {} });
  return entries;
}

function commandEntries(emitted: SagaCommandEmitted[], context: SagaContextBase): NewEntry[] {
  return emitted.map(({ command, resend }) => ({
    kind: resend ? 'command.resent' : 'command.sent',
    step: context.awaiting?.command.commandId === command.commandId ? context.awaiting.step : null,
    detail: {
      commandId: command.commandId,
      type: command.type,
      ...(resend && { attempt: context.awaiting?.attempts }),
    },
  }));
}

const isTerminalEntry = (e: NewEntry): boolean => e.kind === 'saga.completed' || e.kind === 'saga.cancelled';

function outboxFor(
  saga: SagaRecord,
  emitted: SagaCommandEmitted[],
  entries: TimelineEntry[],
  now: Date,
): OutboxEntry[] {
  // Every command and event of a saga shares its trace; a command's parent span is its step's.
  // Commands go with their order's priority, compensations included; events need none.
  const trace = sagaTraceOf(saga);
  const commands = emitted.map(({ command }): { message: OutboxEntry['message'] } & Route => {
    const message = createMessage(command.type, command.payload, {
      sagaId: saga.sagaId,
      commandId: command.commandId,
      traceparent: traceparentOf(trace, stepSpanId(command.commandId)),
      occurredAt: now,
    });
    return { message, ...commandRouteOf(command.type, saga.priority) };
  });
  const event = createMessage(
    'saga.changed',
    {
      sagaId: saga.sagaId,
      type: saga.type,
      status: saga.status,
      state: saga.state,
      orderId: saga.orderId,
      version: saga.version,
      updatedAt: now.toISOString(),
      entries,
    },
    { sagaId: saga.sagaId, traceparent: traceparentOf(trace, sagaSpanId(saga.sagaId)), occurredAt: now },
  );
  return [
    ...commands,
    { message: event, exchange: EXCHANGES.events, routingKey: sagaEventKey(saga.type, saga.status) },
  ].map(({ message, exchange, routingKey, priority }) => ({
    messageId: message.messageId,
    sagaId: saga.sagaId,
    exchange,
    routingKey,
    priority: priority ?? 0,
    message,
    createdAt: now,
  }));
}

function orderPatchOf(saga: SagaRecord, context: SagaContextBase): OrderPatch {
  const { status, totalCents, lines, reason } = context.order;
  return {
    status,
    sagaStatus: saga.status,
    ...(totalCents !== null && { totalCents }),
    ...(lines !== null && { lines }),
    ...(reason !== null && { reason }),
  };
}

function build(
  previous: SagaRecord | null,
  base: Pick<SagaRecord, 'sagaId' | 'type' | 'definitionVersion' | 'orderId' | 'priority' | 'createdAt'>,
  run: StepResult,
  leading: NewEntry[],
  settings: TransitionSettings,
): SagaCommit {
  const { now, stepTimeoutMs } = settings;
  const context = (run.snapshot as unknown as { context: SagaContextBase }).context;
  const status = sagaStatusOf(run.snapshot);
  const changes = statusEntries(previous?.status ?? null, status, context);
  const fresh: NewEntry[] = [
    ...leading,
    ...changes.filter((e) => !isTerminalEntry(e)),
    ...commandEntries(run.emitted, context),
    ...changes.filter(isTerminalEntry),
  ];
  const firstSeq = (previous?.timeline.length ?? 0) + 1;
  const newEntries: TimelineEntry[] = fresh.map((e, i) => ({ seq: firstSeq + i, at: now.toISOString(), ...e }));
  const waiting = status === 'RUNNING' || status === 'COMPENSATING';
  const deadlineAt =
    !waiting || !context.awaiting
      ? null
      : run.emitted.length || !previous?.deadlineAt
        ? new Date(now.getTime() + stepTimeoutMs)
        : previous.deadlineAt;
  const saga: SagaRecord = {
    ...base,
    status,
    state: stateNameOf(run.snapshot),
    snapshot: run.snapshot,
    version: (previous?.version ?? 0) + 1,
    awaitingCommandId: context.awaiting?.command.commandId ?? null,
    deadlineAt,
    timeline: [...(previous?.timeline ?? []), ...newEntries],
    updatedAt: now,
  };
  return {
    saga,
    expectedVersion: previous?.version ?? 0,
    newEntries,
    outbox: outboxFor(saga, run.emitted, newEntries, now),
    orderPatch: orderPatchOf(saga, context),
  };
}

/** A new saga: what its machine, just started on its input, produced: its first commands, in the caller's trace. */
export function startSaga(
  machine: RunningSaga,
  base: Pick<SagaRecord, 'sagaId' | 'type' | 'definitionVersion' | 'orderId' | 'priority'>,
  settings: TransitionSettings,
  traceparent: string,
): SagaCommit {
  const run = machine.step()!;
  const started: NewEntry = {
    kind: 'saga.started',
    step: null,
    detail: { definitionVersion: base.definitionVersion, traceparent },
  };
  return build(null, { ...base, createdAt: settings.now }, run, [started], settings);
}

/** Applies one event to the saga's machine (running at `record`'s version); null when the saga does not accept it (a duplicate or stale reply, a refused action). */
export function applyEvent(
  machine: RunningSaga,
  record: SagaRecord,
  event: SagaEvent,
  settings: TransitionSettings,
): SagaCommit | null {
  const run = machine.step(event);
  if (!run) return null;
  const leading = eventEntry(event, record);
  return build(record, record, run, leading ? [leading] : [], settings);
}

/**
 * An operator's action that is no event of the machine (an edited dead letter), recorded in the
 * timeline on its step (by default the one the saga waits in); state, deadline and outbox stay as they were.
 */
export function annotateSaga(
  record: SagaRecord,
  detail: Record<string, unknown>,
  settings: TransitionSettings,
  step: string | null = (record.snapshot as { context?: SagaContextBase }).context?.awaiting?.step ?? null,
): SagaCommit {
  const run: StepResult = { snapshot: record.snapshot as StepResult['snapshot'], emitted: [] };
  return build(record, record, run, [{ kind: 'ops.action', step, detail }], settings);
}
