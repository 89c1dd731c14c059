import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

/** Kept for the browser session only, and only ever sent as a header, never in a URL. */
export const TOKEN_KEY = 'sagaflow.apiToken';

export interface AuthState {
  token: string;
  /** The orchestrator refused a request for want of a (valid) token. */
  required: boolean;
}

const initialState: AuthState = { token: '', required: false };

export const authSlice = createSlice({
  name: 'auth',
  initialState,
  reducers: {
    tokenEntered(state, action: PayloadAction<string>) {
      state.token = action.payload.trim();
      state.required = false;
    },
    tokenRequired(state) {
      state.required = true;
    },
    tokenCleared(state) {
      state.token = '';
    },
  },
});

export const { tokenEntered, tokenRequired, tokenCleared } = authSlice.actions;

/** The token from an earlier page of this browser session, if any. */
export function storedToken(storage: Pick<Storage, 'getItem'> | undefined = globalThis.sessionStorage): string {
  try {
    return storage?.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}
