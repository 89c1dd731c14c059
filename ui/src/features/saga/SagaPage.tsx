import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import type { Order, SagaDetail } from '@sagaflow/contracts';
import { errorMessage } from '../../app/api';
import { formatMoney, formatTime } from '../../app/format';
import { StatusBadge } from '../../app/StatusBadge';
import { useNow } from '../../app/use-now';
import { useGetOrderQuery } from '../orders/orders-api';
import { useGetSagaQuery, useOperatorActionMutation, useSagaDefinitionsQuery } from '../sagas/sagas-api';
import { StateMachine } from './StateMachine';
import { Timeline } from './Timeline';
import { describeEntry } from './timeline-layout';

const isRunning = (saga: SagaDetail) => saga.status === 'RUNNING' || saga.status === 'COMPENSATING';

function OrderPanel({ order }: { order: Order }) {
  const lines = order.lines ?? order.items.map((i) => ({ ...i, name: undefined, unitPriceCents: undefined }));
  return (
    <section className="panel order-panel" aria-labelledby="order-title">
      <h2 id="order-title">Order</h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={order.status} />
        </dd>
        <dt>Priority</dt>
        <dd data-testid="order-priority" className={order.priority === 'express' ? 'priority-express' : undefined}>
          {order.priority}
        </dd>
        <dt>Customer</dt>
        <dd>
          {order.customerId} <span className="muted">{order.customerEmail}</span>
        </dd>
        <dt>Total</dt>
        <dd data-testid="order-total">{formatMoney(order.totalCents, order.currency)}</dd>
        {order.reason && (
          <>
            <dt>Reason</dt>
            <dd className="reason">{order.reason}</dd>
          </>
        )}
        <dt>Order id</dt>
        <dd className="mono">{order.orderId}</dd>
      </dl>
      <table className="lines">
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Qty</th>
            <th scope="col" className="num">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => {
            const price = 'lineTotalCents' in l ? (l as { lineTotalCents: number }).lineTotalCents : undefined;
            return (
              <tr key={l.sku}>
                <td>
                  <span className="mono">{l.sku}</span>{' '}
                  {'name' in l && l.name ? <span className="muted">{String(l.name)}</span> : null}
                </td>
                <td>{l.quantity}</td>
                <td className="num">{price === undefined ? '—' : formatMoney(price, order.currency)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {order.cancellationSagaId && (
        <p>
          Cancellation saga: <Link to={`/sagas/${order.cancellationSagaId}`}>{order.cancellationSagaId}</Link>
        </p>
      )}
    </section>
  );
}

function OperatorActions({ saga }: { saga: SagaDetail }) {
  const [act, { isLoading, error }] = useOperatorActionMutation();
  if (saga.status !== 'STALLED') return null;
  return (
    <div className="actions" role="group" aria-label="Operator actions">
      <p>
        <strong>Stalled in {saga.state}:</strong> no reply after every attempt. Send the command again, or give up and
        undo what was done.
      </p>
      <button
        type="button"
        className="primary"
        disabled={isLoading}
        onClick={() => act({ sagaId: saga.sagaId, action: 'retry' })}
      >
        Retry
      </button>
      <button
        type="button"
        className="danger"
        disabled={isLoading}
        onClick={() => act({ sagaId: saga.sagaId, action: 'compensate' })}
      >
        Compensate
      </button>
      {error && (
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}

/** `/ui/sagas/:sagaId`: the order, the timeline to scale, and the state machine. Live while it runs. */
export function SagaPage() {
  const { sagaId = '' } = useParams();
  const { data: saga, error } = useGetSagaQuery(sagaId);
  const { data: order } = useGetOrderQuery(saga?.orderId ?? '', { skip: !saga });
  const { data: definitions } = useSagaDefinitionsQuery();
  const running = saga ? isRunning(saga) : false;
  const now = useNow(running);
  const graph = definitions?.find((d) => d.type === saga?.type && d.version === saga?.definitionVersion);
  const compensatingSteps = useMemo(
    () => new Set(graph?.states.filter((s) => s.compensating).map((s) => s.name) ?? []),
    [graph],
  );
  const visited = useMemo(() => new Set(saga?.timeline.flatMap((e) => (e.step ? [e.step] : [])) ?? []), [saga]);

  if (error) {
    return (
      <section>
        <h1>Saga {sagaId}</h1>
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
        <Link to="/">Back to the sagas</Link>
      </section>
    );
  }
  if (!saga) return <p className="empty">Loading…</p>;
  return (
    <section aria-labelledby="saga-title" className="saga-page" data-status={saga.status}>
      <div className="page-head">
        <h1 id="saga-title">
          <span className="muted">{saga.type} saga</span> <span className="mono">{saga.sagaId}</span>
        </h1>
        <StatusBadge status={saga.status} />
      </div>
      <p className="subline">
        state <span className="mono">{saga.state}</span> · version {saga.version} · started {formatTime(saga.createdAt)}{' '}
        · changed {formatTime(saga.updatedAt)}
      </p>
      <OperatorActions saga={saga} />
      {order ? <OrderPanel order={order} /> : <section className="panel">Loading the order…</section>}
      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline timeline={saga.timeline} running={running} compensatingSteps={compensatingSteps} now={now} />
        <details className="log" open>
          <summary>Every entry ({saga.timeline.length})</summary>
          <ol className="entries">
            {saga.timeline.map((e) => (
              <li key={e.seq} className={`entry entry-${e.kind.replace('.', '-')}`} data-kind={e.kind}>
                <span className="mono muted">{formatTime(e.at)}</span>
                <span className="entry-kind">{e.kind}</span>
                <span className="mono">{e.step ?? ''}</span>
                <span>{describeEntry(e)}</span>
              </li>
            ))}
          </ol>
        </details>
      </section>
      <section className="panel" aria-labelledby="machine-title">
        <h2 id="machine-title">State machine</h2>
        {graph ? (
          <StateMachine graph={graph} current={saga.state} visited={visited} />
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    </section>
  );
}
