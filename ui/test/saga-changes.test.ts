import { expect } from 'chai';
import type { SagaChanged, SagaDetail, TimelineEntry } from '@sagaflow/contracts';
import {
  applyChangesToPage,
  applyChangesToSaga,
  latestBySaga,
  type SagaPage,
} from '../src/features/sagas/saga-changes.js';

const at = '2026-12-01T10:00:00.000Z';
const entry = (seq: number, kind: TimelineEntry['kind']): TimelineEntry => ({ seq, at, kind, step: null, detail: {} });
const change = (
  sagaId: string,
  version: number,
  status: SagaChanged['status'],
  entries: TimelineEntry[] = [],
): SagaChanged => ({
  sagaId,
  type: 'order',
  status,
  state: status === 'RUNNING' ? 'charging' : 'completed',
  orderId: `o-${sagaId}`,
  version,
  updatedAt: at,
  entries,
});
const summary = (sagaId: string, version: number, status: SagaChanged['status']) => {
  const { entries: _e, ...rest } = change(sagaId, version, status);
  return { ...rest, createdAt: at };
};

describe('saga changes applied to cached data', () => {
  it('keeps the newest change of each saga in a batch', () => {
    const latest = latestBySaga([
      change('a', 1, 'RUNNING'),
      change('b', 1, 'RUNNING'),
      change('a', 3, 'COMPLETED'),
      change('a', 2, 'RUNNING'),
    ]);
    expect(latest.map((c) => [c.sagaId, c.version])).to.deep.equal([
      ['a', 3],
      ['b', 1],
    ]);
  });

  it('changes rows in place, puts new sagas on top, drops those that leave the filter, keeps the page length', () => {
    const page: SagaPage = { items: [summary('x', 2, 'RUNNING'), summary('y', 1, 'RUNNING')], next: 'c1' };
    applyChangesToPage(
      page,
      [
        change('n1', 1, 'RUNNING', [entry(1, 'saga.started')]),
        change('n2', 1, 'RUNNING', [entry(1, 'saga.started')]),
        change('x', 3, 'COMPLETED'),
        change('y', 1, 'COMPLETED'), // stale: not newer than the row
      ],
      { status: 'RUNNING', limit: 3 },
    );
    expect(page.items.map((s) => [s.sagaId, s.status])).to.deep.equal([
      ['n2', 'RUNNING'],
      ['n1', 'RUNNING'],
      ['y', 'RUNNING'],
    ]);
    expect(page.next).to.equal('c1');
  });

  it('does not invent a row for a saga it never saw start', () => {
    const page: SagaPage = { items: [], next: null };
    applyChangesToPage(page, [change('old', 7, 'COMPLETED')], { limit: 10 });
    expect(page.items).to.deep.equal([]);
  });

  it('appends only the timeline entries a saga has not got yet', () => {
    const saga: SagaDetail = {
      ...summary('s', 1, 'RUNNING'),
      definitionVersion: 1,
      timeline: [entry(1, 'saga.started')],
    };
    applyChangesToSaga(saga, [
      change('s', 2, 'RUNNING', [entry(2, 'command.sent')]),
      change('s', 2, 'RUNNING', [entry(2, 'command.sent')]),
      change('other', 9, 'COMPLETED', [entry(5, 'saga.completed')]),
      change('s', 3, 'COMPLETED', [entry(3, 'reply.received'), entry(4, 'saga.completed')]),
    ]);
    expect(saga.timeline.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(saga).to.include({ status: 'COMPLETED', version: 3 });
  });
});
