import { expect } from 'chai';
import type { SagaDefinitionGraph, TimelineEntry } from '@sagaflow/contracts';
import { axisTicks, layoutTimeline } from '../src/features/saga/timeline-layout.js';
import { layoutMachine } from '../src/features/saga/machine-layout.js';

const t0 = Date.parse('2026-12-01T10:00:00.000Z');
let seq = 0;
const e = (
  ms: number,
  kind: TimelineEntry['kind'],
  step: string | null,
  detail: Record<string, unknown> = {},
): TimelineEntry => ({
  seq: ++seq,
  at: new Date(t0 + ms).toISOString(),
  kind,
  step,
  detail,
});

describe('timeline layout', () => {
  it('makes one lane per step, with its routing key, the time to its reply and every mark in place', () => {
    const layout = layoutTimeline(
      [
        e(0, 'saga.started', null),
        e(0, 'command.sent', 'reserving', { type: 'inventory.reserve' }),
        e(40, 'reply.received', 'reserving', { outcome: 'success' }),
        e(40, 'command.sent', 'charging', { type: 'payment.charge' }),
        e(1040, 'step.timeout', 'charging'),
        e(1040, 'command.resent', 'charging', { type: 'payment.charge', attempt: 2 }),
        e(1200, 'reply.received', 'charging', {
          outcome: 'failure',
          reason: { code: 'declined', message: 'card declined' },
        }),
        e(1200, 'compensation.started', null),
        e(1210, 'command.sent', 'releasing', { type: 'inventory.release' }),
        e(1300, 'reply.received', 'releasing', { outcome: 'success' }),
      ],
      { compensatingSteps: new Set(['releasing']) },
    );
    expect(layout.span).to.equal(1300);
    expect(
      layout.lanes.map((l) => [l.step, l.routingKey, l.sentAt, l.repliedAt, l.outcome, l.compensating]),
    ).to.deep.equal([
      ['reserving', 'inventory.reserve', 0, 40, 'success', false],
      ['charging', 'payment.charge', 40, 1200, 'failure', false],
      ['releasing', 'inventory.release', 1210, 1300, 'success', true],
    ]);
    const charging = layout.lanes[1]!.marks;
    expect(charging.map((m) => m.kind)).to.deep.equal(['sent', 'timeout', 'resent', 'reply-failure']);
    expect(charging[2]!.nudge).to.equal(1); // the resend sits on the timeout: drawn beside it
    expect(charging[3]!.label).to.equal('reply: failure (card declined)');
    expect(layout.saga.map((m) => m.kind)).to.deep.equal(['started', 'compensation']);
  });

  it('draws marks crowded at the end of the axis leftwards, in their order', () => {
    const layout = layoutTimeline([
      e(0, 'saga.started', null),
      e(0, 'command.sent', 'charging', { type: 'payment.charge' }),
      e(2000, 'step.timeout', 'charging'),
      e(2000, 'saga.stalled', 'charging', { attempts: 2 }),
    ]);
    expect(layout.lanes[0]!.marks.map((m) => m.nudge)).to.deep.equal([0, -1, 0]);
  });

  it('runs the axis until now while the saga runs', () => {
    const layout = layoutTimeline([e(0, 'saga.started', null)], { until: t0 + 5000 });
    expect(layout.span).to.equal(5000);
  });

  it('ticks at round steps', () => {
    expect(axisTicks(1300)).to.deep.equal([0, 500, 1000]);
    expect(axisTicks(92)).to.deep.equal([0, 20, 40, 60, 80]);
  });
});

describe('state machine layout', () => {
  const graph: SagaDefinitionGraph = {
    type: 'order',
    version: 1,
    id: 'm',
    initial: 'a',
    states: [
      { name: 'a', final: false, compensating: false },
      { name: 'b', final: false, compensating: false },
      { name: 'undo', final: false, compensating: true },
      { name: 'done', final: true, compensating: false },
      { name: 'undone', final: true, compensating: false },
    ],
    transitions: [
      { from: 'a', to: 'b', event: 'REPLY', when: 'success' },
      { from: 'b', to: 'done', event: 'REPLY', when: 'success' },
      { from: 'b', to: 'undo', event: 'REPLY', when: 'failure' },
      { from: 'undo', to: 'undone', event: 'REPLY', when: 'reply' },
    ],
  };

  it('puts each state right of those before it, compensation on the row below', () => {
    const placed = Object.fromEntries(layoutMachine(graph).map((p) => [p.name, [p.column, p.row]]));
    expect(placed).to.deep.equal({ a: [0, 0], b: [1, 0], undo: [2, 1], done: [2, 0], undone: [3, 1] });
  });
});
