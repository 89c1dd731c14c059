import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { SagaStatus, SagaSummary, SagaType } from '@sagaflow/contracts';
import { SAGA_STATUSES } from '../../app/statuses';
import { errorMessage } from '../../app/api';
import { formatAgo, formatTime, shortId } from '../../app/format';
import { useAppDispatch, useAppSelector } from '../../app/hooks';
import { StatusBadge } from '../../app/StatusBadge';
import { useNow } from '../../app/use-now';
import {
  listQueryOf,
  nextPage,
  previousPage,
  firstPage,
  searched,
  statusChosen,
  typeChosen,
} from './saga-filters-slice';
import { useListSagasQuery, useSagaCountsQuery, useSearchSagasQuery } from './sagas-api';

const TYPES: SagaType[] = ['order', 'cancellation'];

function StatusCounts() {
  const dispatch = useAppDispatch();
  const chosen = useAppSelector((s) => s.sagaFilters.status);
  const { data: counts } = useSagaCountsQuery();
  const total = Object.values(counts ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const chip = (status: SagaStatus | null, label: string, count: number | undefined) => (
    <button
      key={label}
      type="button"
      className={`count-chip ${status ? `count-${status.toLowerCase()}` : ''}`}
      aria-pressed={chosen === status}
      onClick={() => dispatch(statusChosen(status))}
    >
      <span className="count-label">{label}</span>
      <span className="count-value" data-testid={`count-${label}`}>
        {count ?? 0}
      </span>
    </button>
  );
  return (
    <div className="counts" role="group" aria-label="Sagas per status">
      {chip(null, 'ALL', total)}
      {SAGA_STATUSES.map((s) => chip(s, s, counts?.[s]))}
    </div>
  );
}

function SagaTable({ items, empty }: { items: SagaSummary[]; empty: string }) {
  const now = useNow(items.length > 0, 5_000);
  if (items.length === 0) return <p className="empty">{empty}</p>;
  return (
    <table className="saga-table">
      <thead>
        <tr>
          <th scope="col">Saga</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">State</th>
          <th scope="col">Order</th>
          <th scope="col">Started</th>
          <th scope="col">Changed</th>
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={s.sagaId} data-saga-id={s.sagaId} data-status={s.status}>
            <td data-label="Saga">
              <Link to={`/sagas/${encodeURIComponent(s.sagaId)}`} className="mono" title={s.sagaId}>
                {shortId(s.sagaId)}
              </Link>
            </td>
            <td data-label="Type">{s.type}</td>
            <td data-label="Status">
              <StatusBadge status={s.status} />
            </td>
            <td data-label="State" className="mono">
              {s.state}
            </td>
            <td data-label="Order" className="mono" title={s.orderId}>
              {shortId(s.orderId)}
            </td>
            <td data-label="Started">{formatTime(s.createdAt)}</td>
            <td data-label="Changed">{formatAgo(s.updatedAt, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SearchResults({ term }: { term: string }) {
  const { data, error, isFetching } = useSearchSagasQuery(term);
  if (error)
    return (
      <p className="error" role="alert">
        {errorMessage(error)}
      </p>
    );
  if (!data) return <p className="empty">Searching…</p>;
  return (
    <>
      <p className="hint" aria-live="polite">
        {isFetching ? 'Searching…' : `${data.length} saga(s) for “${term}” (saga id, order id or customer id)`}
      </p>
      <SagaTable items={data} empty="Nothing has that saga id, order id or customer id." />
    </>
  );
}

function LiveList() {
  const dispatch = useAppDispatch();
  const filters = useAppSelector((s) => s.sagaFilters);
  const { data, error, isFetching } = useListSagasQuery(listQueryOf(filters));
  const page = filters.cursors.length + 1;
  if (error)
    return (
      <p className="error" role="alert">
        {errorMessage(error)}
      </p>
    );
  return (
    <>
      <SagaTable items={data?.items ?? []} empty={data ? 'No sagas match.' : 'Loading…'} />
      <nav className="pager" aria-label="Pages">
        <button type="button" onClick={() => dispatch(firstPage())} disabled={page === 1}>
          Newest
        </button>
        <button type="button" onClick={() => dispatch(previousPage())} disabled={page === 1}>
          ← Newer
        </button>
        <span aria-live="polite">
          Page {page}
          {page === 1 ? ' · live' : ''}
          {isFetching ? ' · loading' : ''}
        </span>
        <button type="button" onClick={() => data?.next && dispatch(nextPage(data.next))} disabled={!data?.next}>
          Older →
        </button>
      </nav>
    </>
  );
}

/** `/ui/`: every saga, newest first, live. */
export function SagaListPage() {
  const dispatch = useAppDispatch();
  const filters = useAppSelector((s) => s.sagaFilters);
  const [text, setText] = useState(filters.search);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    dispatch(searched(text.trim()));
  };
  return (
    <section aria-labelledby="sagas-title">
      <div className="page-head">
        <h1 id="sagas-title">Sagas</h1>
        <Link className="button primary" to="/orders/new">
          New order
        </Link>
      </div>
      <StatusCounts />
      <div className="filters">
        <label>
          Status
          <select
            value={filters.status ?? ''}
            onChange={(e) => dispatch(statusChosen((e.target.value || null) as SagaStatus | null))}
          >
            <option value="">all</option>
            {SAGA_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select
            value={filters.type ?? ''}
            onChange={(e) => dispatch(typeChosen((e.target.value || null) as SagaType | null))}
          >
            <option value="">all</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <form className="search" role="search" onSubmit={submit}>
          <label>
            Search
            <input
              type="search"
              value={text}
              placeholder="saga id, order id or customer"
              onChange={(e) => {
                setText(e.target.value);
                if (e.target.value === '') dispatch(searched(''));
              }}
            />
          </label>
          <button type="submit">Find</button>
        </form>
      </div>
      {filters.search ? <SearchResults term={filters.search} /> : <LiveList />}
    </section>
  );
}
