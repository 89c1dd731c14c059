import type { SagaChanged } from '@sagaflow/contracts';
import { SseParser } from './sse-parser';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface EventStreamOptions {
  url?: string;
  /** Read before every connect, so that a token entered later is used by the next attempt. */
  token: () => string;
  onChange: (change: SagaChanged) => void;
  onState: (state: StreamState) => void;
  /** Called when the stream is open again after a break: changes made meanwhile were missed. */
  onResumed?: () => void;
  fetch?: typeof fetch;
  /** Delays between attempts; the last one repeats. */
  backoffMs?: readonly number[];
}

/**
 * `GET /events` read with fetch() and a stream parser rather than EventSource, because the stream
 * needs the `Authorization` header and a token must never go into a URL. Reconnects with backoff;
 * after a 401 it waits for another token.
 */
export function openEventStream(options: EventStreamOptions): { close(): void } {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = options.backoffMs ?? [500, 1_000, 2_000, 5_000, 10_000];
  const controller = new AbortController();
  let closed = false;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  const run = async () => {
    let failures = 0;
    let opened = false;
    let refusedToken: string | null = null;
    while (!closed) {
      const token = options.token();
      if (refusedToken !== null && token === refusedToken) {
        await pause(500);
        continue;
      }
      options.onState(opened ? 'reconnecting' : 'connecting');
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (token) headers.authorization = `Bearer ${token}`;
        const response = await doFetch(options.url ?? '/events', {
          headers,
          signal: controller.signal,
          cache: 'no-store',
        });
        if (response.status === 401) {
          refusedToken = token;
          options.onState('unauthorized');
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        refusedToken = null;
        failures = 0;
        options.onState('live');
        if (opened) options.onResumed?.();
        opened = true;
        await read(response.body, options.onChange);
      } catch (error) {
        if (closed) return;
        void error;
      }
      if (closed) return;
      options.onState('reconnecting');
      await pause(backoff[Math.min(failures++, backoff.length - 1)]!);
    }
  };
  void run();
  return {
    close() {
      closed = true;
      controller.abort();
    },
  };
}

async function read(body: ReadableStream<Uint8Array>, onChange: (change: SagaChanged) => void): Promise<void> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const event of parser.push(decoder.decode(value, { stream: true }))) {
      if (event.event !== 'saga') continue;
      try {
        onChange(JSON.parse(event.data) as SagaChanged);
      } catch {
        // a frame that is not JSON is not a saga change: skip it, keep the stream
      }
    }
  }
}
