import { dlqOf } from '@sagaflow/contracts';
import { managementApi } from '@sagaflow/contracts/testing';

export interface DeadLetter {
  payload: string;
  headers: Record<string, unknown>;
}

/** Reads (and leaves) the messages in a queue's DLQ through the management API. */
export async function deadLettersOf(vhost: string, queue: string): Promise<DeadLetter[]> {
  const messages = (await managementApi(
    'POST',
    `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(dlqOf(queue))}/get`,
    { count: 100, ackmode: 'ack_requeue_true', encoding: 'auto' },
  )) as { payload: string; properties: { headers?: Record<string, unknown> } }[] | undefined;
  return (messages ?? []).map((m) => ({ payload: m.payload, headers: m.properties.headers ?? {} }));
}
