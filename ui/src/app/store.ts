import { combineReducers, configureStore } from '@reduxjs/toolkit';
import { setupListeners } from '@reduxjs/toolkit/query';
import { authSlice, storedToken, TOKEN_KEY } from '../features/auth/auth-slice';
import { connectionSlice } from '../features/connection/connection-slice';
import { sagaFiltersSlice } from '../features/sagas/saga-filters-slice';
import { api } from './api';

const rootReducer = combineReducers({
  [api.reducerPath]: api.reducer,
  auth: authSlice.reducer,
  connection: connectionSlice.reducer,
  sagaFilters: sagaFiltersSlice.reducer,
});

export type RootState = ReturnType<typeof rootReducer>;

export function makeStore(preloaded?: Partial<RootState>) {
  const store = configureStore({
    reducer: rootReducer,
    preloadedState: preloaded,
    middleware: (getDefault) => getDefault().concat(api.middleware),
  });
  setupListeners(store.dispatch);
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type AppDispatch = AppStore['dispatch'];

/** The store of the page: the token comes back from this browser session and is kept there. */
export function makeBrowserStore(): AppStore {
  const store = makeStore({ auth: { token: storedToken(), required: false } });
  let last = store.getState().auth.token;
  store.subscribe(() => {
    const token = store.getState().auth.token;
    if (token === last) return;
    last = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  return store;
}
