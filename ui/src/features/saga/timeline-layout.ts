import type { TimelineEntry } from '@sagaflow/contracts';

export type MarkKind =
  | 'started'
  | 'sent'
  | 'resent'
  | 'reply'
  | 'reply-failure'
  | 'timeout'
  | 'compensation'
  | 'stalled'
  | 'resumed'
  | 'ops'
  | 'completed'
  | 'cancelled';

/** One thing that happened, placed on the time axis (`offset`: ms since the saga started). */
export interface Mark {
  seq: number;
  offset: number;
  kind: MarkKind;
  label: string;
  /** Marks this close to the one before are drawn beside it, `nudge` icon widths to the right (or left when negative). */
  nudge: number;
}

/** One step of the saga: the command it sent, the reply it got, and what happened in between. */
export interface Lane {
  step: string;
  /** The command's routing key, e.g. `payment.charge`. */
  routingKey: string | null;
  compensating: boolean;
  sentAt: number | null;
  repliedAt: number | null;
  outcome: 'success' | 'failure' | null;
  marks: Mark[];
}

export interface TimelineLayout {
  /** Epoch ms of the first entry. */
  start: number;
  /** Length of the axis in ms (at least 1). */
  span: number;
  /** Marks of the saga as a whole: start, compensation, end. */
  saga: Mark[];
  lanes: Lane[];
}

const KIND_OF: Record<TimelineEntry['kind'], MarkKind> = {
  'saga.started': 'started',
  'command.sent': 'sent',
  'command.resent': 'resent',
  'reply.received': 'reply',
  'step.timeout': 'timeout',
  'compensation.started': 'compensation',
  'saga.stalled': 'stalled',
  'saga.resumed': 'resumed',
  'saga.completed': 'completed',
  'saga.cancelled': 'cancelled',
  'ops.action': 'ops',
};

/** A line of text for an entry, as its mark's tooltip and in the event log. */
export function describeEntry(entry: TimelineEntry): string {
  const d = entry.detail as Record<string, unknown>;
  switch (entry.kind) {
    case 'command.sent':
      return `sent ${String(d.type)}`;
    case 'command.resent':
      return `sent ${String(d.type)} again (attempt ${String(d.attempt ?? '?')})`;
    case 'reply.received': {
      const reason = d.reason as { code?: string; message?: string } | undefined;
      return d.outcome === 'failure'
        ? `reply: failure${reason ? ` (${reason.message ?? reason.code})` : ''}`
        : 'reply: success';
    }
    case 'step.timeout':
      return 'no reply in time';
    case 'saga.stalled':
      return `stalled after ${String(d.attempts ?? '?')} attempts: waits for an operator`;
    case 'saga.resumed':
      return 'resumed';
    case 'ops.action': {
      const changes = d.changes as { path: string; from?: unknown; to?: unknown }[] | undefined;
      if (d.action === 'dlq.edit') {
        const what = (changes ?? [])
          .map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
          .join(', ');
        return `operator edited and replayed ${String(d.type ?? 'a message')}${what ? ` (${what})` : ''}`;
      }
      return `operator: ${String(d.action)}`;
    }
    case 'compensation.started':
      return `compensation started${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'saga.completed':
      return 'completed';
    case 'saga.cancelled':
      return `cancelled${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'saga.started':
      return 'started';
  }
}

/**
 * Lays a saga's timeline out as lanes, one per step in the order the steps began, with every entry
 * placed at its time since the start. `until` ends the axis (now, for a saga still running).
 */
export function layoutTimeline(
  timeline: readonly TimelineEntry[],
  options: { until?: number; compensatingSteps?: ReadonlySet<string> } = {},
): TimelineLayout {
  const start = timeline.length ? Date.parse(timeline[0]!.at) : 0;
  const last = timeline.length ? Date.parse(timeline.at(-1)!.at) : 0;
  const span = Math.max(1, Math.max(last, options.until ?? 0) - start);
  const lanes = new Map<string, Lane>();
  const saga: Mark[] = [];
  let compensating = false;
  for (const entry of timeline) {
    const offset = Date.parse(entry.at) - start;
    const d = entry.detail as Record<string, unknown>;
    let kind = KIND_OF[entry.kind];
    if (kind === 'reply' && d.outcome === 'failure') kind = 'reply-failure';
    const mark: Mark = { seq: entry.seq, offset, kind, label: describeEntry(entry), nudge: 0 };
    if (entry.kind === 'compensation.started') compensating = true;
    if (entry.step === null) {
      saga.push(mark);
      continue;
    }
    let lane = lanes.get(entry.step);
    if (!lane) {
      lane = {
        step: entry.step,
        routingKey: null,
        compensating: options.compensatingSteps?.has(entry.step) ?? compensating,
        sentAt: null,
        repliedAt: null,
        outcome: null,
        marks: [],
      };
      lanes.set(entry.step, lane);
    }
    if (entry.kind === 'command.sent' || entry.kind === 'command.resent') {
      lane.routingKey ??= typeof d.type === 'string' ? d.type : null;
      lane.sentAt ??= offset;
    }
    if (entry.kind === 'reply.received' && lane.repliedAt === null) {
      lane.repliedAt = offset;
      lane.outcome = d.outcome === 'failure' ? 'failure' : 'success';
    }
    lane.marks.push(mark);
  }
  for (const marks of [saga, ...[...lanes.values()].map((l) => l.marks)]) nudgeCrowded(marks, span);
  return { start, span, saga, lanes: [...lanes.values()] };
}

/** Marks closer than this share of the axis would hide each other. */
const CROWDED = 0.02;

/**
 * Spreads marks that would hide each other side by side, in their order: to the right, or, at the
 * end of the axis where there is no room, to the left so that the last one ends the axis.
 */
function nudgeCrowded(marks: Mark[], span: number): void {
  let first = 0;
  for (let i = 1; i <= marks.length; i++) {
    if (i < marks.length && marks[i]!.offset - marks[i - 1]!.offset < span * CROWDED) continue;
    const group = marks.slice(first, i);
    const atEnd = group[0]!.offset / span > 1 - CROWDED * group.length * 2;
    group.forEach((m, k) => (m.nudge = atEnd ? k - (group.length - 1) : k));
    first = i;
  }
}

/** Evenly spaced tick offsets for the axis, at a round step (1, 2 or 5 × 10ⁿ ms). */
export function axisTicks(span: number, count = 5): number[] {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(t);
  return ticks;
}
