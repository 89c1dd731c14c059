import {
  createApi,
  fetchBaseQuery,
  type BaseQueryFn,
  type FetchArgs,
  type FetchBaseQueryError,
} from '@reduxjs/toolkit/query/react';
import { tokenRequired } from '../features/auth/auth-slice';
import { reachabilityChanged } from '../features/connection/connection-slice';

/** The orchestrator serves the viewer, so the API is the page's own origin. */
const rawBaseQuery = fetchBaseQuery({
  baseUrl: '/',
  prepareHeaders: (headers, { getState }) => {
    const token = (getState() as { auth: { token: string } }).auth.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    headers.set('accept', 'application/json');
    return headers;
  },
});

/** Notes an unreachable orchestrator and a refused token in the store, for the banner and the token form. */
const baseQuery: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (args, api, extra) => {
  const result = await rawBaseQuery(args, api, extra);
  const status = result.error?.status;
  if (status === 'FETCH_ERROR' || status === 'TIMEOUT_ERROR') api.dispatch(reachabilityChanged(false));
  else api.dispatch(reachabilityChanged(true));
  if (status === 401) api.dispatch(tokenRequired());
  return result;
};

/** The one API slice; each feature adds its endpoints with `injectEndpoints`. */
export const api = createApi({
  reducerPath: 'api',
  baseQuery,
  tagTypes: ['Saga', 'SagaList', 'SagaCounts', 'Order', 'Product', 'DeadLetter'],
  endpoints: () => ({}),
});

/** The reason an API error carries (`{error, message}`), or what went wrong on the way. */
export function errorMessage(error: unknown): string {
  if (!error || typeof error !== 'object') return String(error ?? 'unknown error');
  const e = error as { status?: unknown; data?: unknown; error?: string; message?: string };
  if (e.status === 'FETCH_ERROR') return 'cannot reach the orchestrator';
  const data = e.data as { error?: string; message?: string } | undefined;
  if (data?.message) return data.message;
  if (data?.error) return data.error;
  if (e.error) return e.error;
  if (e.message) return e.message;
  return `HTTP ${String(e.status)}`;
}
