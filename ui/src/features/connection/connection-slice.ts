import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface ConnectionState {
  /** The last request could not reach the orchestrator at all. */
  unreachable: boolean;
  stream: StreamStatus;
  /** Saga changes received over the stream, for the status line. */
  changesSeen: number;
}

const initialState: ConnectionState = { unreachable: false, stream: 'connecting', changesSeen: 0 };

export const connectionSlice = createSlice({
  name: 'connection',
  initialState,
  reducers: {
    reachabilityChanged(state, action: PayloadAction<boolean>) {
      state.unreachable = !action.payload;
    },
    streamStatusChanged(state, action: PayloadAction<StreamStatus>) {
      state.stream = action.payload;
      if (action.payload === 'live') state.unreachable = false;
    },
    changesReceived(state, action: PayloadAction<number>) {
      state.changesSeen += action.payload;
    },
  },
});

export const { reachabilityChanged, streamStatusChanged, changesReceived } = connectionSlice.actions;
