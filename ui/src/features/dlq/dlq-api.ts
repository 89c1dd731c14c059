import type { DeadLetter, DeadLetterDetail, EditResult, ReplaySummary } from '@sagaflow/contracts/messaging';
import { api } from '../../app/api';

export type EditRequest =
  { set: { path: string; value: unknown }[]; dryRun?: boolean } | { replace: unknown; dryRun?: boolean };

export interface EditAnswer extends EditResult {
  recorded: boolean;
}

export const dlqApi = api.injectEndpoints({
  endpoints: (build) => ({
    deadLetters: build.query<DeadLetter[], void>({
      query: () => 'dlq',
      transformResponse: (body: { items: DeadLetter[] }) => body.items,
      providesTags: ['DeadLetter'],
    }),
    deadLetter: build.query<DeadLetterDetail, string>({
      query: (messageId) => `dlq/${encodeURIComponent(messageId)}`,
      providesTags: (_r, _e, id) => [{ type: 'DeadLetter', id }],
    }),
    replayQueue: build.mutation<ReplaySummary, { queue: string }>({
      query: (body) => ({ url: 'dlq/replay', method: 'POST', body }),
      invalidatesTags: ['DeadLetter'],
    }),
    replayOne: build.mutation<EditResult, string>({
      query: (messageId) => ({ url: `dlq/${encodeURIComponent(messageId)}/replay`, method: 'POST' }),
      invalidatesTags: ['DeadLetter'],
    }),
    /** With `dryRun` the edit is only checked against the message's schema. */
    editDeadLetter: build.mutation<EditAnswer, { messageId: string; edit: EditRequest }>({
      query: ({ messageId, edit }) => ({
        url: `dlq/${encodeURIComponent(messageId)}/edit`,
        method: 'POST',
        body: edit,
      }),
      invalidatesTags: (result) => (result?.replayed ? ['DeadLetter'] : []),
    }),
  }),
});

export const {
  useDeadLettersQuery,
  useDeadLetterQuery,
  useReplayQueueMutation,
  useReplayOneMutation,
  useEditDeadLetterMutation,
} = dlqApi;
