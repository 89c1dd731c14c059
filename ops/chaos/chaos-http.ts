import { fetchJson, type HttpResult } from '@sagaflow/contracts/testing';

/** An HTTP answer, whatever its status. */
export type Answer = Pick<HttpResult, 'status' | 'body'>;

/** JSON over HTTP with a deadline; resolves with any status, rejects only when no answer came. */
export const call = (method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> =>
  fetchJson(method, url, body, headers);

/** Why a request failed, short enough to count: `503 store_unavailable`, `ECONNREFUSED`, `timeout`. */
export function reasonOf(outcome: Answer | Error): string {
  if (outcome instanceof Error) {
    const cause = (outcome as Error & { cause?: { code?: string } }).cause;
    if (outcome.name === 'TimeoutError') return 'timeout';
    return cause?.code ?? outcome.message;
  }
  const error = (outcome.body as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? `${outcome.status} ${error}` : String(outcome.status);
}

/**
 * Sends a request again while it gets no answer or a 5xx, as a careful client would, for up to
 * `forMs` (pauses growing to 2 s); every failed attempt's reason goes to `onRetry`. A process that is
 * restarting or a store that is coming back is waited out; the last outcome is returned.
 */
export async function callWithRetries(
  send: () => Promise<Answer>,
  { forMs, onRetry }: { forMs: number; onRetry: (reason: string) => void },
): Promise<Answer | Error> {
  const deadline = performance.now() + forMs;
  for (let attempt = 1; ; attempt++) {
    const outcome: Answer | Error = await send().catch((error: Error) => error);
    const transient = outcome instanceof Error || outcome.status >= 500;
    if (!transient || performance.now() > deadline) return outcome;
    onRetry(reasonOf(outcome));
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 250 * 2 ** (attempt - 1))));
  }
}
