import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { SagaStatus, SagaType } from '@sagaflow/contracts';

export const PAGE_SIZE = 25;

export interface SagaFiltersState {
  status: SagaStatus | null;
  type: SagaType | null;
  search: string;
  /** Cursors of the pages before the one shown; the first page has none. */
  cursors: string[];
}

const initialState: SagaFiltersState = { status: null, type: null, search: '', cursors: [] };

/** What the saga list shows: a changed filter starts again at the first (live) page. */
export const sagaFiltersSlice = createSlice({
  name: 'sagaFilters',
  initialState,
  reducers: {
    statusChosen(state, action: PayloadAction<SagaStatus | null>) {
      state.status = action.payload;
      state.cursors = [];
    },
    typeChosen(state, action: PayloadAction<SagaType | null>) {
      state.type = action.payload;
      state.cursors = [];
    },
    searched(state, action: PayloadAction<string>) {
      state.search = action.payload;
      state.cursors = [];
    },
    nextPage(state, action: PayloadAction<string>) {
      state.cursors.push(action.payload);
    },
    previousPage(state) {
      state.cursors.pop();
    },
    firstPage(state) {
      state.cursors = [];
    },
  },
});

export const { statusChosen, typeChosen, searched, nextPage, previousPage, firstPage } = sagaFiltersSlice.actions;

/** The `GET /sagas` query of the page shown. */
export function listQueryOf(state: SagaFiltersState) {
  return {
    ...(state.status && { status: state.status }),
    ...(state.type && { type: state.type }),
    limit: PAGE_SIZE,
    ...(state.cursors.length && { cursor: state.cursors.at(-1) }),
  };
}
