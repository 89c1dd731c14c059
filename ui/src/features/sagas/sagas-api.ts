import type {
  SagaChanged,
  SagaDefinitionGraph,
  SagaDetail,
  SagaStatus,
  SagaSummary,
  SagaType,
} from '@sagaflow/contracts';
import { api } from '../../app/api';
import type { RootState } from '../../app/store';
import { tokenRequired } from '../auth/auth-slice';
import { changesReceived, streamStatusChanged } from '../connection/connection-slice';
import { openEventStream } from '../events/event-stream';
import { FrameBatcher } from '../events/frame-batcher';
import { applyChangesToPage, applyChangesToSaga, changesCounts, type SagaPage } from './saga-changes';

export interface ListSagasArg {
  status?: SagaStatus;
  type?: SagaType;
  limit: number;
  cursor?: string;
}

/** Status counts are read again at most this often while changes stream in. */
const COUNTS_EVERY_MS = 1_000;

const query = (arg: object) =>
  new URLSearchParams(Object.entries(arg).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();

export const sagasApi = api.injectEndpoints({
  endpoints: (build) => ({
    listSagas: build.query<SagaPage, ListSagasArg>({
      query: (arg) => `sagas?${query(arg)}`,
      providesTags: ['SagaList'],
    }),
    /** Sagas by saga id, order id or customer id: whichever the text names. */
    searchSagas: build.query<SagaSummary[], string>({
      async queryFn(term, _api, _extra, fetchWithBQ) {
        const id = encodeURIComponent(term);
        const [saga, order, orders] = await Promise.all([
          fetchWithBQ(`sagas/${id}`),
          fetchWithBQ(`orders/${id}`),
          fetchWithBQ(`orders?customerId=${id}&limit=50`),
        ]);
        const fetchError = [saga, order, orders].find((r) => r.error?.status === 'FETCH_ERROR');
        if (fetchError?.error) return { error: fetchError.error };
        const sagaIds = new Set<string>();
        const orderList = [
          ...(order.data ? [order.data as { sagaId: string; cancellationSagaId?: string }] : []),
          ...((orders.data as { items?: { sagaId: string; cancellationSagaId?: string }[] } | undefined)?.items ?? []),
        ];
        for (const o of orderList) {
          sagaIds.add(o.sagaId);
          if (o.cancellationSagaId) sagaIds.add(o.cancellationSagaId);
        }
        const found: SagaSummary[] = saga.data ? [saga.data as SagaSummary] : [];
        sagaIds.delete(found[0]?.sagaId ?? '');
        const more = await Promise.all([...sagaIds].map((s) => fetchWithBQ(`sagas/${encodeURIComponent(s)}`)));
        for (const r of more) if (r.data) found.push(r.data as SagaSummary);
        found.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        return {
          data: found.map(({ sagaId, type, status, state, orderId, version, createdAt, updatedAt }) => ({
            sagaId,
            type,
            status,
            state,
            orderId,
            version,
            createdAt,
            updatedAt,
          })),
        };
      },
      providesTags: ['SagaList'],
    }),
    sagaCounts: build.query<Partial<Record<SagaStatus, number>>, void>({
      query: () => 'saga-counts',
      transformResponse: (body: { counts: Partial<Record<SagaStatus, number>> }) => body.counts,
      providesTags: ['SagaCounts'],
    }),
    getSaga: build.query<SagaDetail, string>({
      query: (sagaId) => `sagas/${encodeURIComponent(sagaId)}`,
      providesTags: (_r, _e, sagaId) => [{ type: 'Saga', id: sagaId }],
    }),
    sagaDefinitions: build.query<SagaDefinitionGraph[], void>({
      query: () => 'saga-definitions',
      transformResponse: (body: { items: SagaDefinitionGraph[] }) => body.items,
      keepUnusedDataFor: 3600,
    }),
    operatorAction: build.mutation<SagaSummary, { sagaId: string; action: 'retry' | 'compensate' }>({
      query: ({ sagaId, action }) => ({ url: `sagas/${encodeURIComponent(sagaId)}/${action}`, method: 'POST' }),
      invalidatesTags: (_r, _e, { sagaId }) => [{ type: 'Saga', id: sagaId }, 'SagaCounts'],
    }),
    /**
     * The live stream of saga changes. Its cache entry holds nothing; while a component subscribes,
     * its `onCacheEntryAdded` reads `GET /events` and applies each animation frame's changes to every
     * cached list page and saga at once.
     */
    sagaEvents: build.query<null, void>({
      queryFn: () => ({ data: null }),
      keepUnusedDataFor: 0,
      async onCacheEntryAdded(_arg, { dispatch, getState, cacheDataLoaded, cacheEntryRemoved }) {
        await cacheDataLoaded;
        // Counts are read again at most once a COUNTS_EVERY_MS, and always after the last change.
        let countsReadAt = 0;
        let countsTimer: ReturnType<typeof setTimeout> | null = null;
        const readCounts = () => {
          countsTimer = null;
          countsReadAt = Date.now();
          dispatch(api.util.invalidateTags(['SagaCounts']));
        };
        const readCountsSoon = () => {
          if (countsTimer !== null) return;
          countsTimer = setTimeout(readCounts, Math.max(0, countsReadAt + COUNTS_EVERY_MS - Date.now()));
        };
        const apply = (batch: SagaChanged[]) => {
          const state = getState() as RootState;
          for (const arg of sagasApi.util.selectCachedArgsForQuery(state, 'listSagas')) {
            if (arg.cursor) continue; // later pages are a snapshot; only the first page is live
            dispatch(sagasApi.util.updateQueryData('listSagas', arg, (page) => applyChangesToPage(page, batch, arg)));
          }
          const watched = new Set(sagasApi.util.selectCachedArgsForQuery(state, 'getSaga'));
          const touched = batch.filter((c) => watched.has(c.sagaId));
          for (const sagaId of new Set(touched.map((c) => c.sagaId))) {
            dispatch(sagasApi.util.updateQueryData('getSaga', sagaId, (saga) => applyChangesToSaga(saga, batch)));
          }
          const orders = new Set(touched.map((c) => c.orderId));
          if (orders.size) dispatch(api.util.invalidateTags([...orders].map((id) => ({ type: 'Order' as const, id }))));
          if (changesCounts(batch)) readCountsSoon();
          dispatch(changesReceived(batch.length));
        };
        const batcher = new FrameBatcher<SagaChanged>(apply);
        const stream = openEventStream({
          token: () => (getState() as RootState).auth.token,
          onChange: (change) => batcher.add(change),
          onState: (state) => {
            dispatch(streamStatusChanged(state));
            if (state === 'unauthorized') dispatch(tokenRequired());
          },
          // Changes made while the stream was down were missed: read lists and sagas again.
          onResumed: () => dispatch(api.util.invalidateTags(['SagaList', 'Saga', 'SagaCounts', 'Order'])),
        });
        await cacheEntryRemoved;
        stream.close();
        batcher.stop();
        if (countsTimer !== null) clearTimeout(countsTimer);
      },
    }),
  }),
});

export const {
  useListSagasQuery,
  useSearchSagasQuery,
  useSagaCountsQuery,
  useGetSagaQuery,
  useSagaDefinitionsQuery,
  useOperatorActionMutation,
  useSagaEventsQuery,
} = sagasApi;
